"""The edge's own lease: one DynamoDB item renewed every second, on a thread of its own, and the
gate through which the worker processes stop registering when it runs out.

Every trunk the edge holds is held under this one lease (domain/assignment.py), so renewing it
is the edge's only periodic write. The rule that keeps two edges from holding one trunk is
enforced by the workers themselves: each pump turn they compare their clock (CLOCK_MONOTONIC,
shared by every process of the host) with the deadline in `LeaseGate`, and un-register every
trunk held under a lease that is past it. So the margin holds exactly, whatever the supervisor
is doing: waiting on AWS, paused by the kernel, or dead.

`LeaseState` is the rule, pure (no clock, no I/O), tested with a fake clock; `EdgeLease` runs it
on a thread against the store (adapters/dynamodb/leases.py).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, NamedTuple, Protocol

from aws_lambda_powertools import Logger

from smartalex.domain.assignment import RENEW_EVERY_SECONDS, holder_of, usable_until

logger = Logger(service="edge")
SLOW_WRITE = 1.0  # a lease write taking longer is logged: the lease is usable 4 s from the last


class LeaseStore(Protocol):
    def acquire(self, holder: str, now: float, room: int | None = None) -> float: ...
    def renew(self, holder: str, now: float, room: int | None = None) -> float | None: ...
    def finish(self, holder: str, now: float, expired_only: bool = True) -> bool: ...


@dataclass
class LeaseState:
    """Which lease the edge holds and until when, by its monotonic clock. Renewals count from
    when they were *sent* (a slow answer never stretches the lease), and one that comes back
    after the deadline is ignored: by then the workers have let go, and the lease may be
    another edge's to finish."""

    edge_id: str
    incarnation: int = 0  # of the lease held now (or last)
    attempts: int = 0  # leases tried for: each try a new key, even if an earlier one timed out
    holder: str | None = None
    usable_until: float = 0.0
    last_sent: float = float("-inf")  # when the last renewal (or acquisition) was sent
    handed_back: bool = False

    def next_holder(self) -> tuple[str, int]:
        """The key and number of the next incarnation to try for (after the last one lapsed).
        Never reused: a try that timed out may have written its item all the same."""
        self.attempts += 1
        return holder_of(self.edge_id, self.attempts), self.attempts

    def acquired(self, holder: str, incarnation: int, sent_at: float, now: float) -> bool:
        if self.handed_back or self.holder is not None or now >= usable_until(sent_at):
            return False
        self.incarnation, self.holder = incarnation, holder
        self.usable_until, self.last_sent = usable_until(sent_at), sent_at
        return True

    def due(self, now: float) -> bool:
        """Time to renew (or, holding none, to try for a lease again)."""
        return not self.handed_back and now - self.last_sent >= RENEW_EVERY_SECONDS

    def renewed(self, holder: str, sent_at: float, now: float) -> bool:
        """A renewal sent at `sent_at` succeeded; False if it no longer counts."""
        if holder != self.holder or self.lapsed(now):
            return False
        self.usable_until = max(self.usable_until, usable_until(sent_at))
        return True

    def lapsed(self, now: float) -> bool:
        return self.holder is not None and now >= self.usable_until

    def lapse(self) -> None:
        """The lease is over for this edge (past its deadline, refused, or handed back): nothing
        held under it may be used again. A new incarnation is tried for at once."""
        self.holder, self.usable_until, self.last_sent = None, 0.0, float("-inf")

    def valid(self, now: float) -> str | None:
        """The holder to claim and register under now, or None."""
        return self.holder if self.holder is not None and now < self.usable_until else None


class GateReading(NamedTuple):
    """One read of the LeaseGate: the current incarnation and its deadline."""

    incarnation: int
    deadline: float

    def allows(self, incarnation: int, now: float) -> bool:
        return incarnation == self.incarnation and now < self.deadline


class LeaseGate:
    """(incarnation, deadline) in shared memory: written by the supervisor's lease thread, read by
    every worker each pump turn. A worker registers a trunk only while the trunk's incarnation is
    the current one and its monotonic clock is before the deadline."""

    def __init__(self):
        # The spawn context, as the workers are started with (edge/supervisor.py).
        self._values = mp.get_context("spawn").Array("d", [0.0, 0.0])

    def set(self, incarnation: int, deadline: float) -> None:
        with self._values.get_lock():
            self._values[0], self._values[1] = float(incarnation), deadline

    def close(self) -> None:
        with self._values.get_lock():
            self._values[1] = 0.0

    def read(self) -> GateReading:
        with self._values.get_lock():
            return GateReading(int(self._values[0]), self._values[1])

    def allows(self, incarnation: int, now: float) -> bool:
        return self.read().allows(incarnation, now)


class EdgeLease:
    """Keeps the edge's lease on a thread of its own: acquires one (a new incarnation whenever
    the last lapsed), renews it every RENEW_EVERY_SECONDS, and keeps `gate` up to date. The
    assignment loop asks `current()` which lease to claim under; `hand_back()` ends it for good
    (the edge has un-registered everything while draining)."""

    TICK = 0.05
    MAX_IN_FLIGHT = 4

    def __init__(self, store: LeaseStore, edge_id: str, gate: LeaseGate | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, renewers: Executor | None = None):
        """`renewers`: where renewals are sent from (None: on the calling thread, as the unit
        tests step it); `start()` makes one of MAX_IN_FLIGHT threads."""
        self.store, self.gate = store, gate or LeaseGate()
        self.monotonic, self.wall = monotonic, wall
        self.renewers = renewers
        self.state = LeaseState(edge_id)
        self._in_flight = 0
        # Registrations the edge can still take, written with each renewal so that the API can
        # tell a trunk "no capacity left" when every live edge is full; the supervisor's loop
        # sets it (an int read whole by the renewal threads).
        self.room: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-lease", daemon=True)

    def start(self) -> "EdgeLease":
        if self.renewers is None:
            self.renewers = ThreadPoolExecutor(self.MAX_IN_FLIGHT, thread_name_prefix="renew")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        if self.renewers is not None:
            self.renewers.shutdown(wait=False)

    def current(self) -> tuple[str, int] | None:
        """(holder, incarnation) of the lease that is usable now, or None."""
        with self._lock:
            holder = self.state.valid(self.monotonic())
            return (holder, self.state.incarnation) if holder else None

    def hand_back(self) -> None:
        """Stop renewing and finish the lease: every trunk still held under it can be claimed
        by another edge at once. Called once the workers have un-registered everything."""
        with self._lock:
            holder, self.state.handed_back = self.state.holder, True
            self.state.lapse()
            self.gate.close()
        if holder is None:
            return
        try:
            self.store.finish(holder, self.wall(), expired_only=False)
        except Exception:  # it expires by itself within LEASE_SECONDS
            logger.exception("could not hand the edge's lease back", extra={"holder": holder})

    # --- the thread ---
    def _run(self) -> None:
        while not self._stop.wait(self.TICK):
            try:
                self.step()
            except Exception:
                logger.exception("edge lease step failed")

    def step(self) -> None:
        """One turn: notice a lapse, then acquire (here, blocking) or send a renewal as due.
        Renewals go out on `renewers` when there is one, up to MAX_IN_FLIGHT at a time: one
        slow answer (a loaded endpoint) does not hold back the next, and each counts from when
        it was sent."""
        now = self.monotonic()
        with self._lock:
            if self.state.lapsed(now):
                logger.error("the edge's lease lapsed (it could not be renewed in time): every "
                             "trunk is un-registered and will be claimed again",
                             extra={"holder": self.state.holder})
                self.state.lapse()
                self.gate.close()
            if not self.state.due(now):
                return
            acquire = self.state.holder is None
            if not acquire and self._in_flight >= self.MAX_IN_FLIGHT:
                return
            holder, incarnation = self.state.next_holder() if acquire \
                else (self.state.holder, self.state.incarnation)
            self.state.last_sent = now
            self._in_flight += 1
        write = (acquire, holder, incarnation, now, self.wall())
        if acquire or self.renewers is None:
            self._write(*write)
        else:
            self.renewers.submit(self._write, *write)

    def _write(self, acquire: bool, holder: str, incarnation: int, sent_at: float,
               wall: float) -> None:
        """`sent_at`: when the turn decided to send it, which is no later than it leaves (a
        renewer thread may start it a little later), so the lease never counts from too late."""
        try:
            if acquire:
                self.store.acquire(holder, wall, self.room)
                ok = True
            else:
                ok = self.store.renew(holder, wall, self.room) is not None
        except Exception as err:  # the next renewal is a second away; the workers keep time
            logger.warning("edge lease write failed", extra={"holder": holder, "why": repr(err)})
            with self._lock:
                self._in_flight -= 1
            return
        took = self.monotonic() - sent_at
        if took > SLOW_WRITE:
            logger.warning("slow edge lease write", extra={"holder": holder,
                                                            "seconds": round(took, 2)})
        with self._lock:
            self._in_flight -= 1
            now = self.monotonic()
            if acquire:
                if self.state.acquired(holder, incarnation, sent_at, now):
                    logger.info("edge lease acquired", extra={"holder": holder})
            elif ok:
                self.state.renewed(holder, sent_at, now)
            elif self.state.holder == holder:
                logger.error("the edge's lease was finished by another edge (it had expired); "
                             "un-registering everything", extra={"holder": holder})
                self.state.lapse()
            if self.state.holder is not None:
                self.gate.set(self.state.incarnation, self.state.usable_until)
            else:
                self.gate.close()
