"""Fixtures for integration tests: a real Kamailio test PBX and pjsua2 phone processes."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devstack.pbx import KamailioPBX

PHONE = Path(__file__).resolve().parents[1] / "support" / "phone.py"
TEST_USERS = {"300": "pw300", "301": "pw301", "1000": "secret"}


class PhoneProcess:
    """tests/support/phone.py in a child process; its JSON events arrive on a queue."""

    def __init__(self, args: list[str], log_path: Path):
        self._stderr = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(PHONE), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )
        self.events: list[dict] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self._queue.put(json.loads(line))
            except ValueError:
                self._queue.put({"event": "garbage", "line": line})
        self._queue.put(None)

    def expect(self, event: str, timeout: float = 5, **match) -> dict:
        """Next event named `event` whose fields equal `match`; earlier ones are kept."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise TimeoutError(f"no {event} {match} within {timeout}s; saw {self.events}")
            if item is None:
                raise EOFError(f"phone exited ({self.proc.poll()}) before {event}; saw {self.events}")
            self.events.append(item)
            if item.get("event") == event and all(item.get(k) == v for k, v in match.items()):
                return item

    def send(self, cmd: str) -> None:
        self.proc.stdin.write(json.dumps({"cmd": cmd}) + "\n")
        self.proc.stdin.flush()

    def stop(self, timeout: float = 5) -> int:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the phone exits when stdin closes
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._stderr.close()
        return self.proc.returncode


@pytest.fixture
def pbx(tmp_path):
    with KamailioPBX(tmp_path / "pbx", users=TEST_USERS) as server:
        yield server


@pytest.fixture
def phone_factory(tmp_path):
    """phone_factory(pbx, user, password, transport="udp", *extra) -> PhoneProcess."""
    phones: list[PhoneProcess] = []

    def start(pbx: KamailioPBX, user: str, password: str, transport: str = "udp", *extra: str):
        port = pbx.tls_port if transport == "tls" else pbx.port
        args = ["--register", f"{pbx.host}:{port}", "--user", user,
                "--password", password, "--transport", transport, "--log-level", "3", *extra]
        phone = PhoneProcess(args, tmp_path / f"phone-{user}-{len(phones)}.log")
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        phone.stop()
