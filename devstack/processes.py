"""Child processes of the local stack: started in their own process group, always reaped."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable


class Child:
    """A named subprocess in a process group of its own. Stopped as a deploy stops a container:
    SIGTERM to the process alone (as `docker stop` and ECS signal PID 1), so a supervisor drains
    its own children in order, then SIGKILL to whatever is left of the group after `grace`."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path | None = None,
                 log: Path | None = None):
        self.name, self.argv, self.env, self.cwd, self.log = name, argv, env, cwd, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Child":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 25.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # what is left of the group, children too
        except ProcessLookupError:
            pass
        self.proc.wait()


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(interval)
