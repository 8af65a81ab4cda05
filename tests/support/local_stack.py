"""`make run` in a child process, as a test sees it: the stack started from nothing with free
ports and its own state directory, its output read line by line, its processes found by a marker
in their environment (every process it starts inherits it) and killed whatever happens."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from devstack.pbx import KamailioPBX, free_port

ROOT = Path(__file__).resolve().parents[2]


def processes_marked(marker: str) -> list[int]:
    """Pids whose environment carries `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


class LocalStack:
    """`python -m devstack run` with its own ports and state directory."""

    def __init__(self, state_dir: Path, **env_overrides: str):
        self.state_dir = state_dir
        self.marker = f"SMARTALEX_STATE_DIR={state_dir}"
        self.pbx_port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST")}
        env.update(SMARTALEX_STATE_DIR=str(state_dir), SMARTALEX_AWS_PORT=str(free_port()),
                   SMARTALEX_API_PORT=str(free_port()), SMARTALEX_PBX_PORT=str(self.pbx_port),
                   SMARTALEX_CONSOLE_PORT=str(free_port()), SMARTALEX_STAGE="e2e",
                   SMARTALEX_EDGE_POLL_SECONDS="0.5", PYTHONUNBUFFERED="1")
        env.update(env_overrides)
        self.env = env
        self.proc = subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r} in {timeout}s:\n"
                                     + "\n".join(self.output))
            if line is None:
                raise AssertionError("make run exited early:\n" + "\n".join(self.output))
            self.output.append(line)
            if line.startswith(prefix):
                return line

    def read_rest(self, timeout: float = 10) -> list[str]:
        """Every line still to come, until the stack's output closes (after it stopped)."""
        rest = []
        deadline = time.monotonic() + timeout
        while (line := self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))) is not None:
            rest.append(line)
        self.output.extend(rest)
        return rest

    def wait_ready(self, timeout: float = 120) -> "LocalStack":
        """Until the stack printed its URLs; then `api` (signed in as the demo tenant),
        `api_url`, `console_url`, `pbx` and `users` (the demo PBX's SIP passwords) are set."""
        self.api_url = self.read_until("API_URL=", timeout).split("=", 1)[1]
        token = self.read_until("API_TOKEN=", 10).split("=", 1)[1]
        self.console_url = self.read_until("CONSOLE_URL=", 10).split("=", 1)[1]
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.pbx = KamailioPBX(self.state_dir / "pbx", port=self.pbx_port, users={})
        self.users = json.loads((self.state_dir / "demo-pbx-users.json").read_text())
        return self

    def log_files(self) -> list[Path]:
        """The stack's own logs and the demo PBX's, for failure reports."""
        return [*sorted((self.state_dir / "logs").glob("*.log")),
                self.state_dir / "pbx" / "kamailio.log"]

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a user at the terminal sends it: SIGINT to the whole process group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """Whatever is left of it, gone."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        for pid in processes_marked(self.marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
