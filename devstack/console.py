"""The admin console on this machine: `console/dist/` (built by `make console`) and its
`config.json`, served from a thread of `make run` with the headers CloudFront sends in deployed
stages (smartalex/console_site.py), the Content-Security-Policy included, so the local console
meets the same rules as the deployed one.

Requests are logged to .state/logs/console.log, paths only; the demo token travels in the URL
fragment, which browsers never send.
"""

from __future__ import annotations

import json
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from smartalex.console_site import CONFIG_FILE, security_headers

from .state import ROOT

DIST = ROOT / "console" / "dist"
DEFAULT_PORT = 8080


class ConsoleNotBuilt(RuntimeError):
    pass


class ConsoleSite:
    """The built files, `config.json` and the headers: what a request for `path` gets."""

    def __init__(self, dist: Path, config: dict, api_origin: str):
        if not (dist / "index.html").is_file():
            raise ConsoleNotBuilt(f"The console is not built ({dist / 'index.html'} is missing); "
                                  "run `make console` (make run does it first).")
        self.dist = dist.resolve()
        self.config = json.dumps(config).encode()
        self.headers = security_headers([api_origin], https=False)

    def answer(self, raw_path: str) -> tuple[int, str, bytes, str]:
        """(status, content type, body, cache-control)."""
        path = unquote(urlsplit(raw_path).path)
        if path == f"/{CONFIG_FILE}":
            return 200, "application/json", self.config, "no-store"
        file = (self.dist / path.lstrip("/")).resolve()
        if file != self.dist and self.dist not in file.parents:
            return 404, "text/plain; charset=utf-8", b"Not found", "no-store"
        if file.is_file():
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            # Vite names assets by content hash: they never change under the same name.
            cache = ("public, max-age=31536000, immutable" if "/assets/" in path
                     else "no-cache")
            return 200, kind, file.read_bytes(), cache
        if "." in Path(path).name:  # a missing file, not one of the app's own pages
            return 404, "text/plain; charset=utf-8", b"Not found", "no-store"
        return (200, "text/html; charset=utf-8", (self.dist / "index.html").read_bytes(),
                "no-cache")


def _handler(site: ConsoleSite, log: Path):
    class Handler(BaseHTTPRequestHandler):
        server_version = "smartalex-console"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, kind, body, cache = site.answer(self.path)
            self.send_response(status)
            for name, value in {**site.headers, "Content-Type": kind, "Cache-Control": cache,
                                "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            with open(log, "a") as out:
                out.write(f"{self.log_date_time_string()} {format % args}\n")

    return Handler


def serve(site: ConsoleSite, host: str, port: int, log: Path) -> ThreadingHTTPServer:
    """Serving from a daemon thread until `shutdown()`."""
    server = ThreadingHTTPServer((host, port), _handler(site, log))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="console", daemon=True).start()
    return server
