"""The supervisor's side of assignments, with no processes: which worker is sent what, and what
becomes of a trunk whose password cannot be read. Workers are never started; a Ready one
records what it is sent. Leases live in the fake lease table (fakes.py, conftest.py)."""

from __future__ import annotations

import pytest

from edge.protocol import Hold
from edge.supervisor import Supervisor

from .fakes import TRUNK
from .test_worker_process import RecordingConn


@pytest.fixture
def edge(make_supervisor) -> Supervisor:
    return make_supervisor()


def ready(edge: Supervisor) -> None:
    for w in edge.workers:
        w.ready, w.conn = True, RecordingConn()


def holds(edge: Supervisor) -> list[Hold]:
    return [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Hold)]


def test_a_trunk_lost_while_its_worker_starts_frees_that_worker(edge, table, time):
    edge.sync_assignments()
    starting = edge.worker_for(TRUNK)
    assert isinstance(starting.pending, Hold)
    table.take_over(TRUNK, "edge-b", time.wall())
    edge.sync_assignments()
    assert starting.pending is None and starting.trunk_id is None
    assert len(edge.free_workers()) == 2 and TRUNK not in edge.keeper.held


def test_a_trunk_deleted_while_its_worker_starts_hands_its_lease_back(edge, table):
    edge.sync_assignments()
    table.delete(TRUNK)
    edge.sync_assignments()
    assert len(edge.free_workers()) == 2 and TRUNK not in edge.keeper.held


def test_a_password_that_cannot_be_read_is_read_again_backing_off(edge, time):
    ready(edge)
    edge.services.secrets.readable = False
    edge.sync_assignments()
    assert holds(edge) == [] and TRUNK in edge.keeper.held  # kept: another edge fares no better
    assert [m.payload.problem.value for m in edge.outbox] == ["no_credentials"]
    time.advance(1.9)
    edge.retry_unstarted()
    assert len(edge.outbox) == 1                   # not yet: the first retry is after 2 s
    time.advance(0.2)
    edge.retry_unstarted()
    assert len(edge.outbox) == 2 and holds(edge) == []
    edge.services.secrets.readable = True
    time.advance(3.9)
    edge.retry_unstarted()
    assert holds(edge) == []                       # the second retry comes 4 s after
    time.advance(0.2)
    edge.retry_unstarted()
    assert [h.trunk_id for h in holds(edge)] == [TRUNK]
    assert edge.worker_for(TRUNK) is not None and edge.unstarted == {}
