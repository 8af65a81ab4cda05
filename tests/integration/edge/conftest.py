"""Fixtures for edge tests: the control plane's data path on the local AWS endpoint, the
edge-events handler fed by the local queue pump, and real edge processes (`python -m edge`).
The pump and the edges are processes of their own, each signing as its runtime's IAM identity
(its deployed role's policies); the test process is the admin that sets things up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from smartalex.adapters.dynamodb.models import MODELS

ROOT = Path(__file__).resolve().parents[3]
POLL_SECONDS = 0.5  # the test edges' assignment poll (SMARTALEX_EDGE_POLL_SECONDS)


def wipe_tables() -> None:
    """Edges claim every trunk in the table: start each edge test from an empty one."""
    for model in MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


@pytest.fixture(scope="package")
def edge_events_pump(aws_endpoint, tmp_path_factory):
    """`python -m devstack pump` (the edge-events handler fed from its queue, as `make run` runs
    it) for the edge tests, signing as the handler's identity."""
    from devstack.processes import Child

    env = aws_endpoint["identities"]["edge-events"].process_environment(os.environ)
    pump = Child("pump", [sys.executable, "-m", "devstack", "pump"], env=env, cwd=ROOT,
                 log=tmp_path_factory.mktemp("pump") / "edge-events.log").start()
    yield pump
    pump.stop(grace=10)


@pytest.fixture
def control_plane(aws_endpoint, edge_events_pump):
    from smartalex.bootstrap import bootstrap

    assert edge_events_pump.alive(), f"the edge-events pump exited; see {edge_events_pump.log}"
    wipe_tables()
    yield bootstrap()
    wipe_tables()


class EdgeProcess:
    def __init__(self, tmp: Path, workers: int, name: str, extra_env: dict[str, str],
                 identity):
        self.edge_id = f"edge-{name}-{uuid.uuid4().hex[:6]}"
        self.health_file = tmp / f"{self.edge_id}.health.json"
        self.log = tmp / f"{self.edge_id}.log"
        env = dict(identity.process_environment(os.environ),
                   SMARTALEX_EDGE_ID=self.edge_id, SMARTALEX_EDGE_WORKERS=str(workers),
                   SMARTALEX_EDGE_SIP_BIND="127.0.0.1", SMARTALEX_EDGE_POLL_SECONDS=str(POLL_SECONDS),
                   SMARTALEX_EDGE_HEALTH_FILE=str(self.health_file),
                   # Tests use IP literals; a name must never reach the host's (non-loopback) DNS.
                   SMARTALEX_EDGE_NAMESERVERS="127.0.0.1")
        env.update(extra_env)
        self.proc = subprocess.Popen([sys.executable, "-m", "edge"], cwd=ROOT, env=env,
                                     stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM: the edge drains (un-registers, hands leases back) and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """Simulate a crashed container: the supervisor and its workers die at once."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            try:
                self.terminate(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def edge_factory(tmp_path, aws_endpoint):
    edges: list[EdgeProcess] = []

    def start(workers: int = 2, name: str = "t", **env: str) -> EdgeProcess:
        edge = EdgeProcess(tmp_path, workers, name, env, aws_endpoint["identities"]["edge"])
        edges.append(edge)
        return edge

    yield start
    for edge in edges:
        edge.cleanup()


def wait_for(check, timeout: float, what: str, interval: float = 0.1):
    """Poll `check` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def office(control_plane, tmp_path):
    """A PBX, the AI's trunk on it with a directory, and `link(**agent)` (see office.py)."""
    from .office import make_office

    yield from make_office(control_plane, tmp_path)
