"""The real receptionist server (`python -m agents.receptionist`) on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.pbx import free_port
from agents.receptionist.bench import DEMO_DIRECTORY

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def receptionist(tmp_path_factory, aws_endpoint):
    """The edge supervisor runs it with the edge's environment, so it has the edge's keys."""
    port = free_port()
    log = tmp_path_factory.mktemp("receptionist") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agents.receptionist", "--host", "127.0.0.1",
             "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**aws_endpoint["identities"]["edge"].process_environment(os.environ),
                 "POWERTOOLS_LOG_LEVEL": "INFO"})
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the receptionist did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
    yield {"url": f"ws://127.0.0.1:{port}", "log": log, "process": proc}
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def directory():
    return DEMO_DIRECTORY
