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
    assert isinstance(starting.pending[TRUNK], Hold)
    table.take_over(TRUNK, "edge-b", time.wall())
    edge.sync_assignments()
    assert starting.pending == {} and edge.worker_for(TRUNK) is None
    assert edge.placement.room() == edge.placement.capacity and TRUNK not in edge.keeper.held


def test_a_trunk_deleted_while_its_worker_starts_hands_its_lease_back(edge, table):
    edge.sync_assignments()
    table.delete(TRUNK)
    edge.sync_assignments()
    assert edge.placement.room() == edge.placement.capacity and TRUNK not in edge.keeper.held


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


def test_claimed_trunks_spread_over_the_workers_up_to_their_capacity(make_supervisor, table,
                                                                     time):
    edge = make_supervisor(trunks_per_worker=2)
    ready(edge)
    for i in range(2, 7):
        table.add(f"trk_{i:04d}")
    for _ in range(3):  # the claim limit per poll: claim until nothing more fits
        edge.sync_assignments()
    per_worker = [sorted(m.trunk_id for m in w.conn.sent if isinstance(m, Hold))
                  for w in edge.workers]
    assert [len(trunks) for trunks in per_worker] == [2, 2]
    assert edge.placement.room() == 0 and len(edge.keeper.held) == 4
    ours = [t for t in table.trunks.values() if t.lease and t.lease.owner == "edge-a"]
    assert len(ours) == 4 and len(table.trunks) == 6  # two stay free for another edge


def test_a_dead_worker_is_restarted_with_every_trunk_it_held(make_supervisor, table, time,
                                                             monkeypatch):
    edge = make_supervisor(trunks_per_worker=3)
    ready(edge)
    for i in range(2, 5):
        table.add(f"trk_{i:04d}")
    edge.sync_assignments()
    first = edge.workers[0]
    on_first = sorted(edge.placement.trunks_on(0))
    assert len(on_first) == 2
    started = []
    for w in edge.workers:
        w.last_seen = float("inf")  # heard from just now: not hung
        monkeypatch.setattr(w, "is_alive", lambda w=w: w is not first)
        monkeypatch.setattr(w, "start", lambda w=w: started.append(w.index))
        monkeypatch.setattr(w, "kill", lambda: None)
        monkeypatch.setattr(w, "join", lambda timeout=None: None)
    edge.keep_alive()
    assert started == [0]
    assert sorted(first.pending) == on_first  # re-sent once the new process is Ready
    assert sorted(edge.placement.trunks_on(0)) == on_first


def test_numbers_read_before_the_index_caught_up_are_read_again_until_they_match(
        edge, table):
    """DynamoDB's trunk index lists a fresh binding a little later than the trunk records it
    (moto never lags, so this index does it by hand): the edge reads again until the numbers
    it lists are the ones the trunk records, and routes calls by those."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from edge.protocol import Route
    from smartalex.domain.phone_number import PhoneNumber

    bound = PhoneNumber(number_id="num_1", tenant_id="tenant-a", e164="+353871234567",
                        national_number="0871234567", label=None, trunk_id=TRUNK,
                        extension="0001", agent_id="agt_1",
                        created_at=datetime(2025, 3, 1, tzinfo=timezone.utc))
    lagging = {"reads": 0}

    def index(trunk_id):
        lagging["reads"] += 1
        return [] if lagging["reads"] <= 2 else [bound]  # behind for two reads

    edge.services.numbers.for_trunk = index
    table.trunks[TRUNK] = replace(table.trunks[TRUNK], bound_numbers=frozenset({"num_1"}),
                                  bindings_version=1)
    ready(edge)
    edge.sync_assignments()
    assert [h.routing.numbers for h in holds(edge)] == [()]  # not routed by a stale read
    edge.sync_assignments()
    routes = [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Route)]
    assert routes == []  # the second read lagged too
    edge.sync_assignments()
    routes = [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Route)]
    assert [[b.number.number_id for b in r.routing.numbers] for r in routes] == [["num_1"]]
    edge.sync_assignments()
    assert lagging["reads"] == 3  # caught up: no more reads until the bindings change again
