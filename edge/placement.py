"""Which worker process holds which trunk, and what each worker is still to be sent: the
supervisor's placement state machine.

A worker process holds up to `trunks_per_worker` registrations (one pjsua2 account each), so
the edge holds `workers × trunks_per_worker`. A new trunk goes to the worker with the most room,
the lowest index first among equals: trunks spread evenly, so a worker crash (which takes down
only that worker's trunks, re-registered by its replacement) hits as few as possible, and the
calls, whose audio is the edge's real CPU cost, spread with them. A new generation of a trunk
stays on its worker, which replaces the old account.

Each trunk placed keeps the Hold it was given (its routing brought up to date by Routes): a
worker is sent its trunks as soon as it is Ready, and a replacement for one that died is sent
them again without reading anything from AWS. Before a worker is Ready (pjsua starts in a
second or two, longer under load) only its Holds are kept, and what changes meanwhile goes into
them: a Route replaces a Hold's routing, a Release cancels it, a Shutdown cancels them all (a
stopping edge registers nothing new). A trunk held whose password could not be read waits,
taking room, and is tried again backing off like a failed registration (2 s up to 2 min).

Pure: no processes, no clock, no I/O. Every event returns what to send to which worker
(`Send`); the supervisor sends it. Times are given (`now`, monotonic seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from smartalex.domain.registration import Problem, retry_delay

from .protocol import CallRouting, Hold, Release, Route, Shutdown

Send = tuple[int, object]  # (worker index, message)


@dataclass
class _Waiting:
    retry_at: float
    failures: int


@dataclass
class Placement:
    workers: int
    trunks_per_worker: int
    _where: dict[str, int] = field(default_factory=dict)
    _holds: dict[str, Hold] = field(default_factory=dict)  # what each placed trunk was given
    _ready: list[bool] = field(default_factory=list)
    _pending: list[dict[str, Hold]] = field(default_factory=list)  # kept until Ready
    _shutdown: list[Shutdown | None] = field(default_factory=list)
    _sent: set[str] = field(default_factory=set)  # a worker was sent its Hold
    _releasing: set[str] = field(default_factory=set)  # sent Release (or Shutdown): Released next
    _waiting: dict[str, _Waiting] = field(default_factory=dict)  # held, no Hold yet
    _stopping: Shutdown | None = None

    def __post_init__(self) -> None:
        if self.workers < 1 or self.trunks_per_worker < 1:
            raise ValueError("an edge needs at least one worker holding at least one trunk")
        self._ready = [False] * self.workers
        self._pending = [{} for _ in range(self.workers)]
        self._shutdown = [None] * self.workers

    # --- what the edge holds ---
    @property
    def capacity(self) -> int:
        return self.workers * self.trunks_per_worker

    def room(self) -> int:
        """How many more trunks the edge can take (a trunk waiting for its password counts:
        it will need its place)."""
        return self.capacity - len(self._where) - len(self._waiting)

    def held(self) -> int:
        return len(self._where)

    def worker_of(self, trunk_id: str) -> int | None:
        return self._where.get(trunk_id)

    def trunks_on(self, worker: int) -> list[str]:
        return [t for t, w in self._where.items() if w == worker]

    def load(self, worker: int) -> int:
        return sum(1 for w in self._where.values() if w == worker)

    def ready(self, worker: int) -> bool:
        return self._ready[worker]

    def pending(self, worker: int) -> dict[str, Hold]:
        return dict(self._pending[worker])

    def waiting(self) -> list[str]:
        return list(self._waiting)

    # --- events from the assignment loop ---
    def hold(self, hold: Hold) -> list[Send] | None:
        """Register `hold` (a trunk just claimed, or a new generation of one): on its worker if
        it has one, else on the worker with the most room. None when every worker is full (the
        caller hands the trunk back); nothing is sent once the edge is stopping."""
        if self._stopping is not None:
            return []
        self._waiting.pop(hold.trunk_id, None)
        # Held again while its worker un-registers the old one: that Released is not for this.
        self._releasing.discard(hold.trunk_id)
        index = self._where.get(hold.trunk_id)
        if index is None:
            loads = [self.load(i) for i in range(self.workers)]
            index = min(range(self.workers), key=lambda i: loads[i])
            if loads[index] >= self.trunks_per_worker:
                return None
            self._where[hold.trunk_id] = index
        self._holds[hold.trunk_id] = hold
        return self._to(index, hold)

    def route(self, trunk_id: str, routing: CallRouting) -> list[Send]:
        """The trunk's agent, directory or numbers changed (applies from its next call)."""
        index = self._where.get(trunk_id)
        if index is None:
            return []
        self._holds[trunk_id] = replace(self._holds[trunk_id], routing=routing)
        return self._to(index, Route(trunk_id, routing))

    def release(self, trunk_id: str) -> tuple[list[Send], bool]:
        """Let go of a trunk (lost, deleted, or its registration claim lost): the sends, and
        whether it is gone already (True: no worker registered it, nothing to wait for);
        otherwise its worker answers Released once un-registered (`released`)."""
        self._waiting.pop(trunk_id, None)
        index = self._where.get(trunk_id)
        if index is None:
            return [], True
        if trunk_id not in self._sent:  # still pending in a starting worker: cancel it
            self._pending[index].pop(trunk_id, None)
            self._forget(trunk_id)
            return [], True
        self._releasing.add(trunk_id)
        return self._to(index, Release(trunk_id)), False

    def released(self, worker: int, trunk_id: str) -> bool:
        """The worker un-registered the trunk: True if that is what it was asked (Release or
        Shutdown) and the trunk is gone from the edge now. A worker also lets go by itself
        when the edge's lease runs out (edge/lease.py): that trunk stays placed until the
        assignment loop says it is lost."""
        if trunk_id not in self._releasing or self._where.get(trunk_id) != worker:
            return False
        self._forget(trunk_id)
        return True

    def cannot_hold(self, trunk_id: str, now: float) -> None:
        """The trunk is held but its Hold could not be made (its password unreadable): keep its
        room and try again later, backing off. Another edge would fare no better."""
        failures = (self._waiting[trunk_id].failures if trunk_id in self._waiting else 0) + 1
        self._waiting[trunk_id] = _Waiting(
            now + (retry_delay(Problem.NO_CREDENTIALS, failures) or 0.0), failures)

    def due(self, now: float) -> list[str]:
        """Waiting trunks whose time to try again has come; each is returned once, then waits
        for the outcome (`hold`, or `cannot_hold` again)."""
        ready = [t for t, w in self._waiting.items() if w.retry_at <= now]
        for trunk_id in ready:
            self._waiting[trunk_id].retry_at = float("inf")
        return ready

    def shutdown(self, calls_for: float) -> list[Send]:
        """Every worker un-registers everything and stops once its calls are over."""
        self._stopping = Shutdown(calls_for)
        self._waiting.clear()
        sends = []
        for index in range(self.workers):
            if self._ready[index]:
                self._releasing.update(t for t in self.trunks_on(index) if t in self._sent)
                for trunk_id in [t for t in self.trunks_on(index) if t not in self._sent]:
                    self._forget(trunk_id)
                sends.append((index, self._stopping))
            else:
                for trunk_id in list(self._pending[index]):
                    self._forget(trunk_id)
                self._pending[index].clear()
                self._shutdown[index] = self._stopping
        return sends

    # --- events from the workers ---
    def worker_ready(self, worker: int) -> list[Send]:
        """The worker has started: what it was kept for, in order (its Holds, or Shutdown)."""
        self._ready[worker] = True
        held, self._pending[worker] = list(self._pending[worker].values()), {}
        shutdown, self._shutdown[worker] = self._shutdown[worker], None
        self._sent.update(h.trunk_id for h in held)
        return [(worker, h) for h in held] + ([(worker, shutdown)] if shutdown else [])

    def worker_lost(self, worker: int) -> tuple[list[str], list[str]]:
        """The worker died or hung (its replacement starts now). Its replacement registers
        every trunk the old one held as soon as it is Ready, from the Holds kept here; those it
        was letting go of (or all, once the edge is stopping) are gone with it. Returns (the
        trunks to register again, the trunks gone)."""
        self._ready[worker] = False
        trunks = self.trunks_on(worker)
        gone = [t for t in trunks if t in self._releasing or self._stopping is not None]
        for trunk_id in gone:
            self._forget(trunk_id)
        again = [t for t in trunks if t not in gone]
        self._pending[worker] = {t: self._holds[t] for t in again}
        self._sent.difference_update(again)
        self._shutdown[worker] = self._stopping
        return again, gone

    # --- internals ---
    def _to(self, index: int, message) -> list[Send]:
        if self._ready[index]:
            if isinstance(message, Hold):
                self._sent.add(message.trunk_id)
            return [(index, message)]
        if isinstance(message, Hold):
            self._pending[index][message.trunk_id] = message
        elif isinstance(message, Route) and message.trunk_id in self._pending[index]:
            held = self._pending[index][message.trunk_id]
            self._pending[index][message.trunk_id] = replace(held, routing=message.routing)
        return []

    def _forget(self, trunk_id: str) -> None:
        self._where.pop(trunk_id, None)
        self._holds.pop(trunk_id, None)
        self._sent.discard(trunk_id)
        self._releasing.discard(trunk_id)
