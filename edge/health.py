"""The edge's health: the file the supervisor keeps, and `python -m edge.health`, the container
health check (exit 0 healthy, 1 not).

Healthy means the SIP side works: every worker process is running, and the supervisor's loop
is turning. A DynamoDB or SQS stall of a minute must not fail the health check, or ECS would
replace every edge of the fleet at once and cut every call: the loop never waits on AWS (the
AWS side has a thread of its own: edge/control.py), and the file is written every second by a
thread of its own too (`HealthReporter`). Calls go on through such a stall; registrations are
let go of once the edge's lease can no longer be trusted (docs/assignments.md) and claimed back
when AWS answers. A loop that has not turned for LOOP_STALL_LIMIT is stuck: unhealthy.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from .settings import EdgeSettings

STALE_AFTER = 15.0  # the file itself: its writer thread is gone
LOOP_STALL_LIMIT = 180.0  # the loop turns every 0.1 s; this much is a stuck process, not load
WRITE_EVERY = 1.0


def check(settings: EdgeSettings | None = None, now: float | None = None) -> list[str]:
    settings = settings or EdgeSettings(edge_id="health-check")
    try:
        state = json.loads(settings.health_file.read_text())
    except (OSError, ValueError) as exc:
        return [f"no readable health file at {settings.health_file}: {exc}"]
    problems = []
    now = now or time.time()
    age = now - state.get("time", 0)
    if state.get("stopped"):
        problems.append("the supervisor has stopped")
    if age > STALE_AFTER:
        problems.append(f"the supervisor last reported {age:.0f} s ago")
    stalled = now - state.get("loop_at", 0)
    if stalled > LOOP_STALL_LIMIT:
        problems.append(f"the supervisor's loop has not turned for {stalled:.0f} s")
    problems += [f"worker {w['index']} is not running" for w in state.get("workers", [])
                 if not w.get("alive")]
    return problems


def running(pid: int | None) -> bool:
    """Whether the process exists and has not exited (a zombie has: its parent has not reaped
    it yet, which the supervisor's loop does)."""
    if not pid:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class HealthReporter:
    """Keeps the health file: the loop hands it what it knows each turn (`update`), which is
    written at once when it changed (a worker replaced, a trunk placed: tests and operators read
    the file for that), and a daemon thread rewrites it every WRITE_EVERY seconds with each
    worker's liveness read afresh."""

    def __init__(self, path: Path, edge_id: str):
        self.path, self.edge_id = path, edge_id
        self._lock = threading.Lock()  # the state handed over
        self._file = threading.Lock()  # one writer of the file at a time
        self._workers: list[dict] = []
        self._loop_at = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)

    def start(self) -> "HealthReporter":
        self._thread.start()
        return self

    def update(self, workers: list[dict]) -> None:
        """Each loop turn: the workers as the loop sees them (index, pid, alive, ready, trunks)."""
        with self._lock:
            changed = workers != self._workers
            self._workers, self._loop_at = workers, time.time()
        if changed:
            self.write()

    def stop(self) -> None:
        """The edge has stopped: say so, and write no more."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.write(stopped=True)

    def write(self, stopped: bool = False) -> None:
        with self._lock:
            workers, loop_at = list(self._workers), self._loop_at
        state = {"edge": self.edge_id, "time": time.time(), "loop_at": loop_at,
                 "stopped": stopped,
                 "workers": [dict(w, alive=w["alive"] and running(w["pid"])) for w in workers]}
        with self._file:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(state))
            tmp.replace(self.path)

    def _run(self) -> None:
        while not self._stop.wait(WRITE_EVERY):
            try:
                self.write()
            except OSError:
                pass  # a full or read-only disk: the file goes stale, the check says so


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
