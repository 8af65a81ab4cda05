"""Diagnostics use cases: a number's or a trunk's live health, recent calls and recent errors.

Each list is ONE bounded query (descending, Limit N, sort key >= now - 24 h; N is enough to
group a burst of identical refusals: domain/diagnostics.py), so reading
Diagnostics costs the same with ten calls stored as with a hundred thousand:
- a number's calls: the calls table's `line-index` on the number's DID line;
- a trunk's calls: the calls table itself, keyed by trunk: every call of the trunk, whichever
  line it arrived on (the admin looking at a trunk wants to see all it received);
- errors: the errors table, keyed by trunk.
"Last call arrived" is the newest listed call; only when the window is empty is it looked up
with one more query of at most one item, as far back as calls are kept.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.diagnostics import (
    CALLS_READ,
    ERRORS_READ,
    LAST_CALL_LOOKBACK,
    WINDOW,
    Diagnostics,
    diagnose,
)
from .ports import (
    CallRecordRepository,
    ErrorRecordRepository,
    PhoneNumberRepository,
    TrunkRepository,
)
from .trunks import Clock, fleet_room, utcnow


def number_diagnostics(tenant_id: str, number_id: str, *, numbers: PhoneNumberRepository,
                       trunks: TrunkRepository, calls: CallRecordRepository,
                       errors: ErrorRecordRepository, clock: Clock = utcnow) -> Diagnostics:
    """NotFound if the number is absent or another tenant's."""
    number = numbers.get(tenant_id, number_id)
    trunk = trunks.find(number.trunk_id)
    if trunk is not None and trunk.tenant_id != tenant_id:
        trunk = None
    return _diagnose(number.trunk_id, trunk, number, number.line_key, calls=calls,
                     errors=errors, trunks=trunks, now=clock())


def trunk_diagnostics(tenant_id: str, trunk_id: str, *, trunks: TrunkRepository,
                      calls: CallRecordRepository, errors: ErrorRecordRepository,
                      clock: Clock = utcnow) -> Diagnostics:
    """NotFound if the trunk is absent or another tenant's."""
    trunk = trunks.get(tenant_id, trunk_id)
    return _diagnose(trunk_id, trunk, None, None, calls=calls, errors=errors, trunks=trunks,
                     now=clock())


def _diagnose(trunk_id, trunk, number, line_key: str | None, *, calls: CallRecordRepository,
              errors: ErrorRecordRepository, trunks: TrunkRepository,
              now: datetime) -> Diagnostics:
    since = now - WINDOW
    recent_calls = calls.recent(trunk_id, since, CALLS_READ, line_key=line_key)
    recent_errors = errors.recent(trunk_id, since, ERRORS_READ)
    if recent_calls:
        last_call_at = recent_calls[0].started_at
    else:
        older = calls.recent(trunk_id, now - LAST_CALL_LOOKBACK, 1, line_key=line_key)
        last_call_at = older[0].started_at if older else None
    return diagnose(trunk_id=trunk_id, trunk=trunk, number=number, calls=recent_calls,
                    errors=recent_errors, last_call_at=last_call_at, now=now,
                    fleet=fleet_room([trunk] if trunk else [], trunks, now.timestamp()))
