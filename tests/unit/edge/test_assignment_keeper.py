"""Trunks across edges: each edge's lease (edge/lease.py) and assignment keeper on one fake
table (fakes.py), one wall clock, one monotonic clock per edge, stepped together."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from edge.assignments import CLAIMS_PER_POLL, AssignmentKeeper, Changes
from edge.lease import EdgeLease
from smartalex.domain.assignment import (
    LEASE_SECONDS,
    SAFETY_MARGIN_SECONDS,
    free_holder,
    holder_of,
)

from .fakes import TRUNK, FakeLeaseStore, FakeTime

STEP = 0.25


@dataclass
class Edge:
    """One edge as the supervisor runs it: the lease thread's step, then an assignment poll."""

    name: str
    lease: EdgeLease
    keeper: AssignmentKeeper
    alive: bool = True

    @property
    def store(self) -> FakeLeaseStore:
        return self.keeper.store

    def poll(self, free_slots: int = 4) -> Changes | None:
        if not self.alive:
            return None
        self.lease.step()
        try:
            return self.keeper.sync(free_slots)
        except Exception:
            return None

    def deadline_on_the_wall(self, time: FakeTime) -> float:
        """When this edge's workers stop, translated from its monotonic clock to the wall."""
        _, deadline = self.lease.gate.read()
        return time.wall() + (deadline - self.lease.monotonic())


def make_edge(table, time, name, origin, pool=None) -> Edge:
    store = FakeLeaseStore(table, name, time)
    lease = EdgeLease(store, name, monotonic=time.monotonic(origin), wall=time.wall)
    return Edge(name, lease, AssignmentKeeper(store, lease, wall=time.wall, pool=pool,
                                              shuffle=lambda items: items.sort()))


@pytest.fixture
def a(table, time) -> Edge:
    return make_edge(table, time, "edge-a", origin=500.0)


@pytest.fixture
def b(table, time) -> Edge:
    return make_edge(table, time, "edge-b", origin=90_000.0)


def run(edges, time, seconds, free_slots=4):
    """Poll every live edge every STEP seconds; (wall time, edge, changes) of every change."""
    seen = []
    for _ in range(round(seconds / STEP)):
        for edge in edges:
            changes = edge.poll(free_slots)
            if changes and (changes.hold or changes.drop or changes.lost):
                seen.append((time.wall(), edge.name, changes))
        time.advance(STEP)
    return seen


def everything(seen, kind: str) -> list:
    return [item for _, _, changes in seen for item in getattr(changes, kind)]


# --- claiming ---

def test_a_keeper_claims_no_more_than_its_free_slots(table, a):
    for n in range(2, 11):
        table.add(f"trk_{n:04d}")
    assert len(a.poll(free_slots=2).hold) == 2
    assert a.poll(free_slots=0).hold == []
    assert len(a.keeper.held) == 2


def test_a_keeper_claims_no_more_than_claims_per_poll(table, a):
    total = 2 * CLAIMS_PER_POLL + 5
    for n in range(2, total + 1):
        table.add(f"trk_{n:04d}")
    first = a.poll(free_slots=1000)
    assert len(first.hold) == CLAIMS_PER_POLL and first.more_waiting
    assert len(a.poll(free_slots=1000).hold) == CLAIMS_PER_POLL
    last = a.poll(free_slots=1000)
    assert len(last.hold) == 5 and not last.more_waiting
    assert len(a.keeper.held) == total


def test_a_claimed_trunk_is_held_under_the_edges_lease(table, a, time):
    changes = a.poll(free_slots=1)
    assert [t.trunk_id for t in changes.hold] == [TRUNK]
    lease = a.keeper.held[TRUNK].lease
    assert (lease.owner, lease.holder, lease.fence) == ("edge-a", holder_of("edge-a", 1), 1)
    assert table.trunk(TRUNK).lease.expires_at == time.wall() + LEASE_SECONDS
    assert a.keeper.held[TRUNK].incarnation == 1


def test_no_trunk_is_claimed_without_a_lease(table, a):
    a.store.unreachable = True
    assert a.poll().hold == [] and table.holder(TRUNK) == free_holder(TRUNK)


def test_a_keeper_never_claims_a_trunk_of_a_live_edge(a, b, time):
    a.poll()
    assert run([a, b], time, seconds=120) == []
    assert TRUNK in a.keeper.held and TRUNK not in b.keeper.held


def test_holding_trunks_writes_nothing_but_the_edges_own_lease(table, a, time):
    for n in range(2, 101):
        table.add(f"trk_{n:04d}")
    run([a], time, seconds=2, free_slots=1000)
    assert len(a.keeper.held) == 100
    table.writes.clear()
    run([a], time, seconds=60, free_slots=1000)
    assert list(table.writes) == [f"edge:{holder_of('edge-a', 1)}"]
    assert table.writes[f"edge:{holder_of('edge-a', 1)}"] == pytest.approx(60, abs=1)


# --- the lease running out ---

def test_everything_is_lost_when_the_lease_lapses_and_nothing_is_written(table, a, time):
    table.add("trk_0002")
    a.poll()
    a.store.renewals_fail = True
    seen = run([a], time, seconds=LEASE_SECONDS)
    assert sorted(everything(seen, "lost")) == [TRUNK, "trk_0002"]
    assert a.keeper.held == {}
    assert table.holder(TRUNK) == holder_of("edge-a", 1)  # still named: another edge finishes it


def test_a_lapsed_edge_claims_its_trunks_back_under_a_new_lease_once_the_old_expired(
        table, a, time):
    a.poll()
    a.store.renewals_fail = True
    run([a], time, seconds=LEASE_SECONDS - SAFETY_MARGIN_SECONDS + STEP)
    a.store.renewals_fail = False
    seen = run([a], time, seconds=LEASE_SECONDS)
    assert everything(seen, "hold")[-1].trunk_id == TRUNK
    assert table.holder(TRUNK) == holder_of("edge-a", 2)


def test_a_claim_answered_after_the_lease_lapsed_is_not_kept(table, a, time):
    a.lease.step()  # the lease, no claim yet
    a.store.claim_latency = LEASE_SECONDS  # the claim comes back after the deadline
    changes = a.keeper.sync(free_slots=4)
    assert changes.hold == [] and a.keeper.held == {}
    # Written under a lease that is over: the next edge to finish that lease claims it.
    assert table.holder(TRUNK) == holder_of("edge-a", 1)


# --- following the configuration ---

def test_a_deleted_trunk_is_dropped_and_nothing_is_released(table, a, time):
    a.poll()
    table.delete(TRUNK)
    time.advance(1)
    changes = a.poll()
    assert (changes.drop, changes.lost, changes.hold) == ([TRUNK], [], [])
    a.keeper.release(TRUNK)
    assert a.keeper.held == {}


def test_a_new_generation_is_held_again_with_the_new_trunk(table, a, time):
    a.poll()
    table.bump_generation(TRUNK)
    time.advance(1)
    changes = a.poll()
    assert [(t.trunk_id, t.generation) for t in changes.hold] == [(TRUNK, 2)]
    assert a.keeper.held[TRUNK].trunk.generation == 2 and a.keeper.held[TRUNK].lease.fence == 1
    assert a.poll().hold == []


def test_a_trunk_another_lease_took_is_lost_at_the_next_poll(table, a, time):
    a.poll()
    table.take_over(TRUNK, holder_of("edge-b", 1))
    assert a.poll(free_slots=0).lost == [TRUNK]
    a.keeper.release(TRUNK)
    assert table.holder(TRUNK) == holder_of("edge-b", 1)  # not released over the new holder


def test_a_claim_is_reported_even_if_a_later_claim_in_the_same_poll_fails(table, a, time):
    table.add("trk_0002")
    a.store.claim_fails_for = {"trk_0002"}
    seen = run([a], time, seconds=1)
    assert set(a.keeper.held) == {TRUNK}
    assert [t.trunk_id for t in everything(seen, "hold")] == [TRUNK]


# --- handing over between edges ---

def test_a_released_trunk_can_be_claimed_by_another_edge_at_once(table, a, b):
    a.poll()
    a.keeper.release(TRUNK)
    assert TRUNK not in a.keeper.held and table.holder(TRUNK) == free_holder(TRUNK)
    changes = b.poll()
    assert [t.trunk_id for t in changes.hold] == [TRUNK]
    assert b.keeper.held[TRUNK].lease.fence == 2


def test_a_handed_back_lease_lets_another_edge_claim_everything_at_once(table, a, b, time):
    for n in range(2, 6):
        table.add(f"trk_{n:04d}")
    a.poll(free_slots=10)
    a.lease.hand_back()
    changes = b.poll(free_slots=10)
    assert len(changes.hold) == 5 and table.held_by_edge("edge-b") == set(table.trunks)


def test_a_dead_edges_trunks_are_claimed_only_after_its_lease_expired(table, a, b, time):
    run([a], time, seconds=20)  # a holds and renews for a while, then dies
    a.alive = False
    a_deadline = a.deadline_on_the_wall(time)
    expires_at = table.edges[holder_of("edge-a", 1)].expires_at
    seen = run([b], time, seconds=30)
    [(claimed_at, owner, changes)] = seen
    assert owner == "edge-b" and [t.trunk_id for t in changes.hold] == [TRUNK]
    assert claimed_at > expires_at
    assert a_deadline + SAFETY_MARGIN_SECONDS <= claimed_at  # a stopped a full margin before
    assert claimed_at - expires_at <= STEP + 1e-9  # and b took it at its next poll
    assert b.keeper.held[TRUNK].lease.fence == 2


def test_the_dead_edge_learns_it_lost_the_trunk_if_it_wakes_up(table, a, b, time):
    a.poll()
    a.alive = False
    run([b], time, seconds=30)
    a.alive = True
    assert a.poll(free_slots=0).lost == [TRUNK]
    assert TRUNK in b.keeper.held and table.holder(TRUNK) == holder_of("edge-b", 1)


def test_two_edges_never_hold_a_trunk_at_the_same_time(table, a, b, time):
    # a holds five trunks, then cannot reach the table at all; b takes them over.
    for n in range(2, 6):
        table.add(f"trk_{n:04d}")
    a.poll(free_slots=5)
    assert len(a.keeper.held) == 5
    a.store.unreachable = True
    a_deadline = a.deadline_on_the_wall(time)
    claims = {}
    for wall, owner, changes in run([a, b], time, seconds=60, free_slots=5):
        if owner == "edge-b":
            claims.update({t.trunk_id: wall for t in changes.hold})
    assert set(claims) == set(table.trunks)
    assert min(claims.values()) >= a_deadline + SAFETY_MARGIN_SECONDS


def test_a_dead_edges_item_is_forgotten_once_long_finished_and_empty(table, a, b, time):
    a.poll()
    a.alive = False
    run([b], time, seconds=30)
    assert holder_of("edge-a", 1) in table.edges  # finished, kept a while
    run([b], time, seconds=300)
    assert holder_of("edge-a", 1) not in table.edges and b.store.forgotten


# --- one poll's claims run concurrently ---

class BarrierStore(FakeLeaseStore):
    """Every claim waits until `parties` of them are in flight at once: one at a time, the
    barrier breaks and the claim fails."""

    def __init__(self, table, owner, time, parties):
        super().__init__(table, owner, time)
        self.barrier = threading.Barrier(parties, timeout=2)

    def claim(self, *args):
        self.barrier.wait()
        return super().claim(*args)


@pytest.mark.parametrize("concurrent", [True, False])
def test_the_claims_of_a_poll_run_concurrently(table, time, concurrent):
    for n in range(2, 7):
        table.add(f"trk_{n:04d}")
    store = BarrierStore(table, "edge-a", time, parties=6)
    lease = EdgeLease(store, "edge-a", monotonic=time.monotonic(500.0), wall=time.wall)
    with ThreadPoolExecutor(8) as pool:
        k = AssignmentKeeper(store, lease, wall=time.wall, pool=pool if concurrent else None)
        lease.step()
        assert len(k.sync(free_slots=6).hold) == (6 if concurrent else 0)


def test_a_hand_back_that_cannot_be_written_is_tried_again_and_never_raises(table, a, time):
    a.poll()
    a.store.unreachable = True
    a.keeper.release(TRUNK)  # the loop goes on
    assert table.holder(TRUNK) == holder_of("edge-a", 1) and TRUNK not in a.keeper.held
    a.store.unreachable = False
    time.advance(STEP)
    a.poll(free_slots=0)
    assert table.holder(TRUNK) == free_holder(TRUNK)


def test_nothing_is_handed_back_under_a_lease_that_is_over(table, a, time):
    a.poll()
    a.store.unreachable = True
    time.advance(LEASE_SECONDS)  # lapsed; the keeper has not polled since
    writes = sum(table.writes.values())
    a.store.unreachable = False
    a.keeper.release(TRUNK)  # the worker's Released once the gate closed
    assert sum(table.writes.values()) == writes
    assert table.holder(TRUNK) == holder_of("edge-a", 1)
