"""Per-trunk timelines (calls, errors): items sorted by time so "the newest N since T" is one
bounded query.

`sort_key` = `<UTC ISO 8601, fixed width>#<id>`, e.g. `2025-03-01T09:00:00.000000Z#call-1`:
fixed width makes string order time order, and the id keeps two items of the same microsecond
apart. A bare timestamp sorts before every key of that instant, so `sort_key >= stamp(since)`
selects exactly the items at or after `since`.
"""

from __future__ import annotations

from datetime import datetime, timezone

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime is taken to be UTC already (TTL attributes need a zone)."""
    return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)


def stamp(at: datetime) -> str:
    """Fixed-width UTC text."""
    return utc(at).strftime(_FORMAT)


def sort_key(at: datetime, item_id: str) -> str:
    return f"{stamp(at)}#{item_id}"
