"""`python -m edge.health`: the container health check (exit 0 healthy, 1 not).

Healthy means the supervisor wrote its health file recently and every worker is alive.
"""

from __future__ import annotations

import json
import sys
import time

from .settings import EdgeSettings

STALE_AFTER = 15.0


def check(settings: EdgeSettings | None = None, now: float | None = None) -> list[str]:
    settings = settings or EdgeSettings(edge_id="health-check")
    try:
        state = json.loads(settings.health_file.read_text())
    except (OSError, ValueError) as exc:
        return [f"no readable health file at {settings.health_file}: {exc}"]
    problems = []
    age = (now or time.time()) - state.get("time", 0)
    if state.get("stopped"):
        problems.append("the supervisor has stopped")
    if age > STALE_AFTER:
        problems.append(f"the supervisor last reported {age:.0f} s ago")
    problems += [f"worker {w['index']} is not running" for w in state.get("workers", [])
                 if not w.get("alive")]
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
