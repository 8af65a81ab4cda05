"""The edge's own lease (edge/lease.py), driven by a fake clock: one write a second, a deadline
counted from when each renewal was sent, and a gate the workers read."""

from __future__ import annotations

import pytest

from edge.lease import EdgeLease, LeaseGate, LeaseState
from smartalex.domain.assignment import (
    LEASE_SECONDS,
    RENEW_EVERY_SECONDS,
    SAFETY_MARGIN_SECONDS,
    holder_of,
)

from .fakes import FakeLeaseStore, FakeLeaseTable, FakeTime

USABLE = LEASE_SECONDS - SAFETY_MARGIN_SECONDS
STEP = 0.05


@pytest.fixture
def lease(time) -> EdgeLease:
    store = FakeLeaseStore(FakeLeaseTable(), "edge-a", time)
    return EdgeLease(store, "edge-a", monotonic=time.monotonic(500.0), wall=time.wall)


def run(lease: EdgeLease, time: FakeTime, seconds: float) -> None:
    """What the lease thread does: a step every STEP seconds."""
    for _ in range(round(seconds / STEP)):
        lease.step()
        time.advance(STEP)


# --- the rule, pure ---

def test_a_lease_is_usable_until_its_renewal_was_sent_plus_the_lease_less_the_margin():
    state = LeaseState("edge-a")
    holder, incarnation = state.next_holder()
    assert state.acquired(holder, incarnation, sent_at=100.0, now=100.4)
    assert state.valid(100.0 + USABLE - 0.001) == holder
    assert state.valid(100.0 + USABLE) is None and state.lapsed(100.0 + USABLE)


def test_a_renewal_that_comes_back_after_the_deadline_does_not_revive_the_lease():
    state = LeaseState("edge-a")
    holder, incarnation = state.next_holder()
    state.acquired(holder, incarnation, sent_at=100.0, now=100.0)
    assert not state.renewed(holder, sent_at=100.0 + USABLE - 0.5, now=100.0 + USABLE + 0.1)
    assert state.valid(100.0 + USABLE + 0.1) is None


def test_a_slow_renewal_counts_from_when_it_was_sent():
    state = LeaseState("edge-a")
    holder, incarnation = state.next_holder()
    state.acquired(holder, incarnation, sent_at=100.0, now=100.0)
    assert state.renewed(holder, sent_at=101.0, now=103.5)
    assert state.usable_until == 101.0 + USABLE


def test_each_try_for_a_lease_has_a_key_of_its_own():
    state = LeaseState("edge-a")
    first, second = state.next_holder(), state.next_holder()
    assert first == (holder_of("edge-a", 1), 1) and second == (holder_of("edge-a", 2), 2)
    assert state.acquired(*second, sent_at=0.0, now=0.0) and state.incarnation == 2


# --- on the store ---

def test_the_edge_writes_its_lease_once_a_renewal_interval(lease, time):
    run(lease, time, 10.0)
    store = lease.store
    assert list(store.table.writes) == [f"edge:{holder_of('edge-a', 1)}"]
    assert len(store.renewals) == pytest.approx(10.0 / RENEW_EVERY_SECONDS - 1, abs=1)
    gaps = {round(b - a, 3) for a, b in zip(store.renewals, store.renewals[1:])}
    assert gaps == {RENEW_EVERY_SECONDS}


def test_the_gate_opens_with_the_lease_and_follows_its_deadline(lease, time):
    assert lease.gate.read() == (0, 0.0)
    run(lease, time, 3.0)
    incarnation, deadline = lease.gate.read()
    assert incarnation == 1
    last_sent = time.monotonic(500.0)() - STEP - (3.0 - STEP) % RENEW_EVERY_SECONDS
    assert deadline == pytest.approx(last_sent + USABLE, abs=STEP)
    assert lease.gate.allows(1, lease.monotonic()) and not lease.gate.allows(2, lease.monotonic())


def test_renewals_that_fail_let_the_lease_lapse_exactly_at_its_deadline(lease, time):
    run(lease, time, 2.0)
    _, deadline = lease.gate.read()
    lease.store.renewals_fail = True
    while lease.monotonic() < deadline - STEP:
        lease.step()
        assert lease.current() is not None
        time.advance(STEP)
    time.advance(deadline - lease.monotonic())
    assert lease.current() is None  # asked from the loop: no lease, exactly at the deadline
    assert not lease.gate.allows(1, lease.monotonic())  # the workers stop on their own clock
    lease.step()  # notices the lapse; a new lease can be written (only renewals fail)
    assert lease.state.incarnation == 2 and not lease.gate.allows(1, lease.monotonic())


def test_after_a_lapse_the_edge_takes_a_new_lease_not_the_old_one(lease, time):
    run(lease, time, 2.0)
    lease.store.unreachable = True
    run(lease, time, LEASE_SECONDS)
    lease.store.unreachable = False
    run(lease, time, 1.0)
    assert lease.current() == (holder_of("edge-a", lease.state.incarnation),
                               lease.state.incarnation)
    assert lease.state.incarnation > 1 and lease.gate.read()[0] == lease.state.incarnation
    old = lease.store.table.edges[holder_of("edge-a", 1)]
    assert old.expires_at < time.wall()  # never renewed again: another edge finishes it


def test_a_lease_finished_by_another_edge_lapses_at_the_next_renewal(lease, time):
    run(lease, time, 1.0)
    holder = holder_of("edge-a", 1)
    lease.store.finish(holder, time.wall(), expired_only=False)
    run(lease, time, 1.0)
    assert lease.state.incarnation == 2 and lease.current()[0] == holder_of("edge-a", 2)


def test_a_renewal_answered_too_late_is_not_counted(lease, time):
    run(lease, time, 1.0)
    lease.store.renew_latency = USABLE + 0.5  # sent in time, answered after the deadline
    run(lease, time, RENEW_EVERY_SECONDS)
    assert lease.current() is None or lease.state.incarnation > 1


def test_a_handed_back_lease_is_finished_and_never_renewed_again(lease, time):
    run(lease, time, 2.0)
    lease.hand_back()
    writes = sum(lease.store.table.writes.values())
    run(lease, time, 5.0)
    assert sum(lease.store.table.writes.values()) == writes
    assert lease.store.table.edges[holder_of("edge-a", 1)].expires_at == 0
    assert lease.current() is None and lease.gate.read()[1] == 0.0


def test_the_gate_is_shared_memory_a_spawned_worker_can_read():
    gate = LeaseGate()
    gate.set(3, 1234.5)
    assert gate.read() == (3, 1234.5) and gate.allows(3, 1234.0) and not gate.allows(3, 1234.5)
    gate.close()
    assert not gate.allows(3, 0.0)


class StuckStore(FakeLeaseStore):
    """Each renewal waits until the test lets it through (`answer(n)`), as on a loaded
    endpoint."""

    def __init__(self, *args):
        super().__init__(*args)
        import threading

        self._threading = threading
        self._arrived = threading.Condition()
        self.gates: list[tuple[float, threading.Event, threading.Event]] = []  # (sent, gate, done)

    def renew(self, holder, now, room=None):
        gate, done = self._threading.Event(), self._threading.Event()
        with self._arrived:
            self.gates.append((now, gate, done))
            self._arrived.notify_all()
        gate.wait(5)
        try:
            return super().renew(holder, now, room)
        finally:
            done.set()

    def answer(self, n: int) -> None:
        """Let the n-th renewal *sent* through (the renewer threads may reach the store in
        another order), once it has reached the store, and wait for its answer."""
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.gates) > n, timeout=5)
            _, gate, done = sorted(self.gates, key=lambda g: g[0])[n]
        gate.set()
        done.wait(5)


def test_a_renewal_stuck_on_a_slow_endpoint_does_not_hold_back_the_next(time):
    from concurrent.futures import ThreadPoolExecutor

    store = StuckStore(FakeLeaseTable(), "edge-a", time)
    with ThreadPoolExecutor(EdgeLease.MAX_IN_FLIGHT) as renewers:
        lease = EdgeLease(store, "edge-a", monotonic=time.monotonic(500.0), wall=time.wall,
                          renewers=renewers)
        lease.step()  # acquired (inline) at 500
        for _ in range(2):  # a renewal due every second: the first gets stuck
            time.advance(RENEW_EVERY_SECONDS)
            lease.step()
        store.answer(1)  # the second comes back; the first is still stuck
        assert lease.gate.read()[1] == 500.0 + 2 * RENEW_EVERY_SECONDS + USABLE
        for _ in range(10):
            time.advance(RENEW_EVERY_SECONDS)
            lease.step()
        assert len(store.gates) == EdgeLease.MAX_IN_FLIGHT + 1  # never more in flight
        for _, gate, _ in store.gates:
            gate.set()


def test_the_edge_s_room_goes_out_with_its_lease_and_each_renewal(time):
    """The API reads it to tell an unheld trunk "no capacity left" (registration.as_shown)."""
    table = FakeLeaseTable()
    lease = EdgeLease(FakeLeaseStore(table, "edge-a", time), "edge-a",
                      monotonic=time.monotonic(500.0), wall=time.wall)
    lease.room = 7
    lease.step()
    assert table.edges[holder_of("edge-a", 1)].room == 7
    lease.room = 0  # the workers filled up
    run(lease, time, RENEW_EVERY_SECONDS + STEP)
    assert table.edges[holder_of("edge-a", 1)].room == 0
