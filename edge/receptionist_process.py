"""The built-in receptionist (agents/receptionist), run by the supervisor next to the workers so
`receptionist` agents work with no cloud at all. It is an agent like any other, in a process of
its own that the workers reach over the agent protocol on loopback. Restarted if it dies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from aws_lambda_powertools import Logger

logger = Logger(service="edge", child=True)
# The receptionist's exit code for a missing prerequisite (agents/receptionist/server.py).
CANNOT_START = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def agent_environment(environ: dict[str, str]) -> dict[str, str]:
    """The edge's environment without its AWS identity: an agent needs no AWS access, and the
    receptionist runs speech code on audio anyone who dials in controls, so it gets neither the
    edge's keys nor where ECS hands out the task role's (AWS_CONTAINER_CREDENTIALS_*)."""
    return {k: v for k, v in environ.items() if not k.startswith("AWS_")}


class ReceptionistProcess:
    def __init__(self, port: int = 0):
        self.port = port or _free_port()
        self.url = f"ws://127.0.0.1:{self.port}/"
        self._proc: subprocess.Popen | None = None
        self._started_at = 0.0

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "agents.receptionist", "--host", "127.0.0.1",
             "--port", str(self.port)], stdin=subprocess.DEVNULL,
            env=agent_environment(dict(os.environ)))
        self._started_at = time.monotonic()

    def keep_alive(self) -> None:
        if self._proc is None or self._proc.poll() is None:
            return
        if self._proc.returncode == CANNOT_START:
            # e.g. espeak-ng missing: restarting cannot help; receptionist calls get the
            # "agent never started" apology and an error record until it is fixed.
            logger.error("receptionist server cannot start; not restarting it")
            self._proc = None
            return
        if time.monotonic() - self._started_at > 5:
            logger.error("receptionist server exited; restarting it",
                         extra={"exitcode": self._proc.returncode})
            self.start()

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
