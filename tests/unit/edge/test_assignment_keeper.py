"""Leases across edges: two keepers share one fake table, one wall clock, two monotonic clocks."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from edge.assignments import CLAIMS_PER_POLL, AssignmentKeeper, Changes
from smartalex.domain.assignment import LEASE_SECONDS, RENEW_EVERY_SECONDS, SAFETY_MARGIN_SECONDS

from .fakes import TRUNK, FakeLeaseStore, FakeTime



def keeper(table, time, owner, mono_origin) -> AssignmentKeeper:
    return AssignmentKeeper(FakeLeaseStore(table, owner, time), wall=time.wall,
                            monotonic=time.monotonic(mono_origin))


@pytest.fixture
def a(table, time) -> AssignmentKeeper:
    return keeper(table, time, "edge-a", mono_origin=500.0)


@pytest.fixture
def b(table, time) -> AssignmentKeeper:
    return keeper(table, time, "edge-b", mono_origin=90_000.0)


def deadline_on_the_wall(k: AssignmentKeeper, trunk_id: str, time: FakeTime) -> float:
    """When `k` stops using its lease, translated from its monotonic clock to the wall clock."""
    holding = k.held[trunk_id]
    usable_until = holding.lease.usable_until(holding.renewed_at)
    return time.wall() + (usable_until - k.monotonic())


def poll(k: AssignmentKeeper, free_slots: int = 4) -> Changes | None:
    """What the supervisor does (edge/supervisor.py sync_assignments): a failed poll is skipped."""
    try:
        return k.sync(free_slots)
    except Exception:
        return None


def run(keepers, time, seconds, step=0.25, free_slots=4):
    """Poll every keeper every `step` seconds; (wall time, owner, changes) of every change."""
    seen = []
    for _ in range(int(seconds / step)):
        time.advance(step)
        for k in keepers:
            changes = poll(k, free_slots)
            if changes and (changes.hold or changes.drop or changes.lost):
                seen.append((time.wall(), k.store.owner, changes))
    return seen


def everything(seen, kind: str) -> list:
    return [item for _, _, changes in seen for item in getattr(changes, kind)]


# --- claiming ---

def test_a_keeper_claims_no_more_than_its_free_slots(table, a):
    for n in range(2, 11):
        table.add(f"trk_{n:04d}")
    assert len(a.sync(free_slots=2).hold) == 2
    assert a.sync(free_slots=0).hold == []
    assert len(a.held) == 2


def test_a_keeper_claims_no_more_than_claims_per_poll(table, a):
    total = 2 * CLAIMS_PER_POLL + 5
    for n in range(2, total + 1):
        table.add(f"trk_{n:04d}")
    first = a.sync(free_slots=1000)
    assert len(first.hold) == CLAIMS_PER_POLL and first.more_waiting
    assert len(a.sync(free_slots=1000).hold) == CLAIMS_PER_POLL
    last = a.sync(free_slots=1000)
    assert len(last.hold) == 5 and not last.more_waiting
    assert len(a.held) == total


def test_a_claimed_trunk_is_held_with_its_lease(table, a, time):
    changes = a.sync(free_slots=1)
    assert [t.trunk_id for t in changes.hold] == [TRUNK]
    lease = a.held[TRUNK].lease
    assert (lease.owner, lease.fence) == ("edge-a", 1)
    assert lease.expires_at == time.wall() + LEASE_SECONDS
    assert table.lease(TRUNK) == lease


def test_a_keeper_never_claims_a_trunk_whose_lease_is_unexpired(a, b, time):
    a.sync(free_slots=4)
    seen = run([a, b], time, seconds=120)
    assert seen == []
    assert TRUNK in a.held and TRUNK not in b.held


def test_a_keeper_does_not_claim_what_it_already_holds(a, time):
    a.sync(free_slots=4)
    assert run([a], time, seconds=60) == []
    assert a.held[TRUNK].lease.fence == 1


# --- renewing ---

def test_a_lease_is_renewed_every_renew_interval(a, time):
    a.sync(free_slots=4)
    claimed_at = time.wall()
    run([a], time, seconds=RENEW_EVERY_SECONDS - 0.25)
    assert a.store.renewals == []
    run([a], time, seconds=0.25)
    assert a.store.renewals == [claimed_at + RENEW_EVERY_SECONDS]
    assert a.held[TRUNK].lease.expires_at == time.wall() + LEASE_SECONDS
    run([a], time, seconds=RENEW_EVERY_SECONDS * 10)
    assert len(a.store.renewals) == 11
    gaps = {later - earlier for earlier, later in zip(a.store.renewals, a.store.renewals[1:])}
    assert gaps == {RENEW_EVERY_SECONDS}


def test_a_lease_taken_over_is_lost_at_the_next_renewal(table, a, time):
    a.sync(free_slots=4)
    time.advance(RENEW_EVERY_SECONDS)
    table.take_over(TRUNK, "edge-b", time.wall())
    changes = a.sync(free_slots=0)
    assert (changes.lost, changes.drop, changes.hold) == ([TRUNK], [], [])
    assert TRUNK not in a.held


def test_a_lease_taken_over_is_lost_even_before_the_next_renewal(table, a, time):
    a.sync(free_slots=4)
    time.advance(1)
    table.take_over(TRUNK, "edge-b", time.wall())
    assert a.sync(free_slots=0).lost == [TRUNK]


def test_a_lost_trunk_is_not_released_over_the_new_holder(table, a, time):
    a.sync(free_slots=4)
    time.advance(RENEW_EVERY_SECONDS)
    theirs = table.take_over(TRUNK, "edge-b", time.wall())
    a.sync(free_slots=0)
    a.release(TRUNK)
    assert table.lease(TRUNK) == theirs


def test_a_lease_that_cannot_be_renewed_is_lost_before_it_expires(table, a, time):
    a.sync(free_slots=4)
    expires_at = table.lease(TRUNK).expires_at
    a.store.renewals_fail = True
    seen = run([a], time, seconds=LEASE_SECONDS)
    [(lost_at, _, changes)] = seen
    assert changes.lost == [TRUNK]
    assert lost_at == expires_at - SAFETY_MARGIN_SECONDS
    assert len(a.store.renewals) > 1  # it kept trying until then


def test_a_renewal_that_comes_back_in_time_keeps_the_lease(table, a, time):
    a.sync(free_slots=4)
    a.store.renewals_fail = True
    run([a], time, seconds=LEASE_SECONDS - SAFETY_MARGIN_SECONDS - 1)
    a.store.renewals_fail = False
    assert run([a], time, seconds=60) == []
    assert TRUNK in a.held


def test_a_lease_lost_while_the_table_is_unreachable_is_still_reported(table, a, time):
    # The supervisor un-registers only what `lost` names; a loss it never hears of leaves the
    # worker registered while another edge takes the trunk over.
    a.sync(free_slots=4)
    a.store.unreachable = True
    seen = run([a], time, seconds=LEASE_SECONDS)
    assert everything(seen, "lost") == [TRUNK]


def test_a_claim_is_reported_even_if_a_later_claim_in_the_same_poll_fails(table, a, time):
    table.add("trk_0002")
    a.store.claim_fails_for = {"trk_0002"}
    seen = run([a], time, seconds=1)
    assert set(a.held) == {TRUNK}
    assert [t.trunk_id for t in everything(seen, "hold")] == [TRUNK]


# --- following the configuration ---

def test_a_deleted_trunk_is_dropped(table, a, time):
    a.sync(free_slots=4)
    table.delete(TRUNK)
    time.advance(1)
    changes = a.sync(free_slots=4)
    assert (changes.drop, changes.lost, changes.hold) == ([TRUNK], [], [])
    a.release(TRUNK)
    assert a.held == {}


def test_a_new_generation_is_held_again_with_the_new_trunk(table, a, time):
    a.sync(free_slots=4)
    table.bump_generation(TRUNK)
    time.advance(1)
    changes = a.sync(free_slots=4)
    assert [(t.trunk_id, t.generation) for t in changes.hold] == [(TRUNK, 2)]
    assert a.held[TRUNK].trunk.generation == 2
    assert a.held[TRUNK].lease.fence == 1
    assert a.sync(free_slots=4).hold == []


def test_a_new_generation_is_reported_even_if_claiming_fails_in_the_same_poll(table, a, time):
    a.sync(free_slots=4)
    table.add("trk_0002")
    a.store.claim_fails_for = {"trk_0002"}
    table.bump_generation(TRUNK)
    seen = run([a], time, seconds=1)
    a.store.claim_fails_for = set()
    seen += run([a], time, seconds=1)
    assert (TRUNK, 2) in [(t.trunk_id, t.generation) for t in everything(seen, "hold")]


# --- handing over between edges ---

def test_a_released_trunk_can_be_claimed_by_another_edge_at_once(table, a, b, time):
    a.sync(free_slots=4)
    a.release(TRUNK)
    assert TRUNK not in a.held
    changes = b.sync(free_slots=4)
    assert [t.trunk_id for t in changes.hold] == [TRUNK]
    assert b.held[TRUNK].lease.fence == 2


def test_a_dead_edges_trunk_is_claimed_only_after_its_lease_expired(table, a, b, time):
    run([a], time, seconds=20)  # a holds and renews for a while, then dies
    a_deadline = deadline_on_the_wall(a, TRUNK, time)
    expires_at = table.lease(TRUNK).expires_at
    seen = run([b], time, seconds=60)
    [(claimed_at, owner, changes)] = seen
    assert owner == "edge-b" and [t.trunk_id for t in changes.hold] == [TRUNK]
    assert claimed_at > expires_at
    # a stopped registering a full safety margin before b could start.
    assert a_deadline + SAFETY_MARGIN_SECONDS <= claimed_at
    assert b.held[TRUNK].lease.fence == 2


def test_the_dead_edge_learns_it_lost_the_trunk_if_it_wakes_up(table, a, b, time):
    a.sync(free_slots=4)
    run([b], time, seconds=30)
    assert a.sync(free_slots=4).lost == [TRUNK]
    assert TRUNK in b.held


def test_two_edges_never_hold_a_trunk_at_the_same_time(table, a, b, time):
    # a holds the trunk, then cannot reach the table; b takes over after the expiry.
    for n in range(2, 6):
        table.add(f"trk_{n:04d}")
    a.sync(free_slots=5)
    a.sync(free_slots=5)
    a.store.unreachable = True
    deadlines = {t: deadline_on_the_wall(a, t, time) for t in a.held}
    claims = {}
    for wall, owner, changes in run([a, b], time, seconds=60, free_slots=5):
        if owner == "edge-b":
            claims.update({t.trunk_id: wall for t in changes.hold})
    assert set(claims) == set(deadlines)
    for trunk_id, claimed_at in claims.items():
        assert deadlines[trunk_id] + SAFETY_MARGIN_SECONDS <= claimed_at


def test_a_slow_renewal_does_not_stretch_the_lease(table, a, time):
    a.sync(free_slots=4)
    a.store.renew_latency = 2.5
    run([a], time, seconds=RENEW_EVERY_SECONDS)
    a_deadline = deadline_on_the_wall(a, TRUNK, time)
    assert a_deadline + SAFETY_MARGIN_SECONDS <= table.lease(TRUNK).expires_at


def test_a_slow_claim_does_not_stretch_the_lease(table, a, b, time):
    # The claim writes expires_at = (wall when sent) + 15 s; its answer arrives 4 s later.
    a.store.claim_latency = 4.0
    a.sync(free_slots=4)
    a_deadline = deadline_on_the_wall(a, TRUNK, time)
    assert a_deadline + SAFETY_MARGIN_SECONDS <= table.lease(TRUNK).expires_at
    [(claimed_at, _, _)] = run([b], time, seconds=30)  # a dies at once; b takes over
    assert a_deadline < claimed_at


# --- after letting go ---

def test_the_last_holding_outlives_the_lease_for_calls_still_in_progress(table, a, b, time):
    a.sync(free_slots=1)
    holding = a.held[TRUNK]
    first = holding.next_sequence()
    a.release(TRUNK)
    assert TRUNK not in a.held
    # A call that was up when the edge let go still reports with the trunk's tenant, its old
    # fence and a sequence that keeps growing (the record's id derives from it).
    kept = a.last_holding(TRUNK)
    assert kept is holding and kept.next_sequence() == first + 1
    assert b.sync(free_slots=1).hold and b.held[TRUNK].lease.fence > kept.lease.fence


def test_a_lost_trunk_also_keeps_its_last_holding(table, a, time):
    a.sync(free_slots=1)
    time.advance(RENEW_EVERY_SECONDS)
    table.take_over(TRUNK, "edge-b", time.wall())
    assert a.sync(free_slots=0).lost == [TRUNK]
    assert a.last_holding(TRUNK) is not None and TRUNK not in a.held


def test_a_keeper_never_knew_a_trunk_it_never_held(a):
    assert a.last_holding("trk_never") is None


# --- one poll's writes run concurrently ---

class BarrierStore(FakeLeaseStore):
    """Every claim and renewal waits until `parties` of them are in flight at once: one at a
    time, the barrier breaks and the write fails."""

    def __init__(self, table, owner, time, parties):
        super().__init__(table, owner, time)
        self.barrier = threading.Barrier(parties, timeout=2)
        self.waiting = False

    def claim(self, trunk_id, now):
        if self.waiting:
            self.barrier.wait()
        return super().claim(trunk_id, now)

    def renew(self, lease, trunk_id, now):
        if self.waiting:
            self.barrier.wait()
        return super().renew(lease, trunk_id, now)


@pytest.mark.parametrize("concurrent", [True, False])
def test_the_claims_and_renewals_of_a_poll_run_concurrently(table, time, concurrent):
    for n in range(2, 7):
        table.add(f"trk_{n:04d}")
    store = BarrierStore(table, "edge-a", time, parties=6)
    with ThreadPoolExecutor(8) as pool:
        k = AssignmentKeeper(store, wall=time.wall, monotonic=time.monotonic(500.0),
                             pool=pool if concurrent else None)
        store.waiting = True
        claimed = k.sync(free_slots=6).hold
        assert len(claimed) == (6 if concurrent else 0)
        if not concurrent:
            return
        store.barrier.reset()
        time.advance(RENEW_EVERY_SECONDS)
        changes = k.sync(free_slots=0)
        assert changes.lost == [] and len(k.held) == 6
        assert all(h.renewed_at == k.monotonic() for h in k.held.values())
