"""Fixtures shared by the edge's unit tests: the fake clock, a lease table with one trunk, and
a supervisor on them with no processes (`make_supervisor`)."""

from types import SimpleNamespace

import pytest

from edge import supervisor as supervisor_module
from edge.assignments import AssignmentKeeper
from edge.lease import EdgeLease
from edge.settings import EdgeSettings
from edge.supervisor import Supervisor

from .fakes import TRUNK, FakeLeaseStore, FakeLeaseTable, FakeTime


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def table() -> FakeLeaseTable:
    table = FakeLeaseTable()
    table.add(TRUNK)
    return table


class Secrets:
    """The SIP password store; `readable` False plays a throttled Secrets Manager."""

    def __init__(self) -> None:
        self.readable = True

    def get(self, trunk_id: str) -> str:
        if not self.readable:
            raise ConnectionError("Secrets Manager throttled the request")
        return "secret"


@pytest.fixture
def make_supervisor(time, table, monkeypatch, tmp_path):
    """make_supervisor(claims=None, trunks_per_worker=1) -> a Supervisor "edge-a" with two
    workers (never started) on the fake lease table and the fake clock, holding its edge lease
    already (`edge.lease.step()` renews it, as its thread would)."""
    def make(claims=None, trunks_per_worker: int = 1) -> Supervisor:
        monotonic = time.monotonic(500.0)
        monkeypatch.setattr(supervisor_module, "time",
                            SimpleNamespace(monotonic=monotonic, time=time.wall))
        store = FakeLeaseStore(table, "edge-a", time)
        lease = EdgeLease(store, "edge-a", monotonic=monotonic, wall=time.wall)
        lease.step()
        keeper = AssignmentKeeper(store, lease, wall=time.wall)
        services = SimpleNamespace(
            secrets=Secrets(), directory=SimpleNamespace(list=lambda trunk_id: []),
            numbers=SimpleNamespace(for_trunk=lambda trunk_id: []),
            agents=SimpleNamespace(find=lambda agent_id: None))
        edge = Supervisor(EdgeSettings(edge_id="edge-a", workers=2,
                                       trunks_per_worker=trunks_per_worker,
                                       health_file=tmp_path / "health.json"), keeper, services,
                          publisher=None, claims=claims, lease=lease)
        edge.control.monotonic, edge.control.wall = monotonic, time.wall
        for w in edge.workers:  # alive and heard from; never a real process here
            w.is_alive, w.last_seen = (lambda: True), float("inf")
            w.start = _no_process
        return edge

    return make


def _no_process() -> None:
    raise AssertionError("a unit test started a worker process")


def ready(edge: Supervisor) -> None:
    """Every worker started and Ready: it records what it is sent."""
    from .test_worker_process import RecordingConn

    for w in edge.workers:
        w.conn = RecordingConn()
        edge._send(edge.placement.worker_ready(w.index))


def poll(edge: Supervisor) -> None:
    """One assignment poll on the AWS side, then the loop applies what it found."""
    edge.control.room = edge.placement.room()
    edge.control.poll()
    edge.take_events()


def settle(edge: Supervisor) -> None:
    """The AWS side answers what the loop asked, then the loop applies the answers."""
    edge.control.answer_asked()
    edge.take_events()
