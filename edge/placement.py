"""Which worker process holds which trunk: placement by capacity.

A worker process holds up to `trunks_per_worker` registrations (one pjsua2 account each), so
the edge holds `workers × trunks_per_worker`. A new trunk goes to the worker with the most room,
the lowest index first among equals: trunks spread evenly, so a worker crash (which takes down
only that worker's trunks, re-registered by its replacement) hits as few as possible, and the
calls, whose audio is the edge's real CPU cost, spread with them.

Pure: no processes and no clock; the supervisor tells it what was placed and let go of.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Placement:
    workers: int
    trunks_per_worker: int
    _where: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workers < 1 or self.trunks_per_worker < 1:
            raise ValueError("an edge needs at least one worker holding at least one trunk")

    @property
    def capacity(self) -> int:
        return self.workers * self.trunks_per_worker

    def room(self) -> int:
        """How many more trunks the edge can take."""
        return self.capacity - len(self._where)

    def held(self) -> int:
        return len(self._where)

    def worker_of(self, trunk_id: str) -> int | None:
        return self._where.get(trunk_id)

    def trunks_on(self, worker: int) -> list[str]:
        return [t for t, w in self._where.items() if w == worker]

    def load(self, worker: int) -> int:
        return sum(1 for w in self._where.values() if w == worker)

    def place(self, trunk_id: str) -> int | None:
        """The worker that holds `trunk_id`: where it already is (a new generation stays on its
        worker, which replaces the old account), else the one with the most room; None when
        every worker is full."""
        if trunk_id in self._where:
            return self._where[trunk_id]
        loads = [self.load(i) for i in range(self.workers)]
        best = min(range(self.workers), key=lambda i: loads[i])
        if loads[best] >= self.trunks_per_worker:
            return None
        self._where[trunk_id] = best
        return best

    def remove(self, trunk_id: str) -> int | None:
        """Let go of a trunk; returns the worker it was on."""
        return self._where.pop(trunk_id, None)
