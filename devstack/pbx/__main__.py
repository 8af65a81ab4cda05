"""`python -m devstack.pbx --port 5060 --user 1000:secret`: run the test PBX until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

from . import KamailioPBX


def _user(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError("expected EXT:PASSWORD")
    return user, password


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m devstack.pbx", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    ap.add_argument("--port", type=int, default=None, help="UDP+TCP port (default: a free one)")
    ap.add_argument("--user", action="append", type=_user, default=[], metavar="EXT:PASSWORD")
    ap.add_argument("--tls", action="store_true", help="also listen for TLS (self-signed cert)")
    ap.add_argument("--tls-port", type=int, default=None)
    ap.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    ap.add_argument("--debug", type=int, default=2, help="kamailio log level (3 = debug)")
    args = ap.parse_args(argv)

    users = dict(args.user) if args.user else None
    tmp = None
    workdir = args.workdir
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="smartalex-pbx-")
        workdir = Path(tmp.name)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pbx = KamailioPBX(workdir, port=args.port, users=users, host=args.host,
                      tls=args.tls, tls_port=args.tls_port, debug=args.debug)
    try:
        pbx.start()
        tls = f" tls={pbx.host}:{pbx.tls_port}" if pbx.tls else ""
        print(f"PBX ready on {pbx.host}:{pbx.port} (udp+tcp){tls} users={','.join(pbx.users)} "
              f"log={pbx.log_path}", flush=True)
        while not stop.wait(0.5):
            if not pbx.running:
                print(f"kamailio exited unexpectedly:\n{pbx.log_tail()}", file=sys.stderr)
                return 1
        return 0
    finally:
        pbx.stop()
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
