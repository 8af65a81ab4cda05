"""Run one loop iteration's slow AWS calls side by side.

The supervisor's loop is single-threaded on purpose (uvicorn's shape: nothing races its state),
but an edge holding 1,000 trunks makes hundreds of independent conditional writes a second
(lease renewals, registration claims) and reads four items for every trunk it takes on. Each
waits ~5 ms on DynamoDB; one after another they would not keep up. `each` runs a batch of them
on a thread pool and hands the results back to the loop, which alone applies them.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def each(pool: Executor | None, work: Callable[[T], R], items: Iterable[T]) -> list[R | Exception]:
    """work(item) for every item, in order, concurrently on `pool` (one at a time without one);
    an item's exception is returned in its place, never raised."""
    def safe(item: T) -> R | Exception:
        try:
            return work(item)
        except Exception as err:  # noqa: BLE001 - handed back to the caller, per item
            return err

    items = list(items)
    if pool is None or len(items) < 2:
        return [safe(item) for item in items]
    return list(pool.map(safe, items))
