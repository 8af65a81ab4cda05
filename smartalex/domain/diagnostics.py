"""Diagnostics: what a PBX admin looks at when calls to a number (or a trunk) misbehave.

Three parts, each cheap to read however long the history is:
- live health: who holds the trunk, its registration (as it reads now: registration.as_shown),
  whether the credentials are known to work, and when the last call arrived;
- the last `CALLS_SHOWN` rows of calls of the last `WINDOW`, newest first;
- the last `ERRORS_SHOWN` rows of phone-related errors of the same window.

A burst of identical refusals (17 calls refused 486 in two seconds) would fill every row and
push the answered calls out of view, so identical neighbours are one row with a count: calls
never answered with the same outcome, and errors with the same source, message and hint. To
have something to group, up to `CALLS_READ` calls and `ERRORS_READ` errors are read (still one
bounded query each).

Errors are recorded per trunk (what goes wrong is mostly the registration, the transfer or the
agent, not the number), so a number's Diagnostics lists its trunk's errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .assignment import FleetRoom
from .call import CallRecord
from .errors_log import ErrorRecord
from .phone_number import PhoneNumber
from .registration import Problem, RegistrationState, RegistrationStatus, as_shown, classify
from .trunk import Trunk

WINDOW = timedelta(hours=24)
CALLS_SHOWN = 10
ERRORS_SHOWN = 5
CALLS_READ = 100
ERRORS_READ = 50
# "Last call arrived" looks further back than the window when the window is empty, as far as
# call records are kept (adapters/dynamodb/calls.RETENTION).
LAST_CALL_LOOKBACK = timedelta(days=30)


class Credentials(StrEnum):
    """Whether the PBX accepted the trunk's username and password, as far as we know."""

    VALID = "yes"                   # registered (as shown: an edge holds it, not run out)
    INVALID = "no"                  # the last failure was 401/407 (a 403 may be the address)
    UNKNOWN = "not yet known"       # connecting, or failing for another reason first

    @classmethod
    def of(cls, status: RegistrationStatus) -> "Credentials":
        if status.state is RegistrationState.REGISTERED:
            return cls.VALID
        if status.state is RegistrationState.FAILED and status.sip_code is not None \
                and classify(status.sip_code) is Problem.AUTH:
            return cls.INVALID
        return cls.UNKNOWN


@dataclass(frozen=True)
class Assignment:
    """Whether an edge holds the trunk now (an unexpired lease), which one and since when."""

    held: bool
    edge: str | None
    since: datetime | None

    @classmethod
    def of(cls, trunk: Trunk, now: datetime) -> "Assignment":
        lease = trunk.held_at(now.timestamp())
        if lease is None:
            return cls(False, None, None)
        return cls(True, lease.owner, lease.since)


@dataclass(frozen=True)
class Health:
    assignment: Assignment
    registration: RegistrationStatus | None   # None: the number's trunk was deleted
    extension: str | None
    credentials: Credentials
    last_call_at: datetime | None

    @property
    def registration_label(self) -> str | None:
        if self.registration is None:
            return None
        return self.registration.label(self.extension or "")


@dataclass(frozen=True)
class CallRow:
    """One call, or a run of identical unanswered ones (`count`, the oldest `first_at`)."""

    record: CallRecord   # the newest of the run
    count: int = 1
    first_at: datetime | None = None


@dataclass(frozen=True)
class ErrorRow:
    record: ErrorRecord  # the newest of the run
    count: int = 1
    first_at: datetime | None = None


@dataclass(frozen=True)
class Diagnostics:
    trunk_id: str
    number: PhoneNumber | None      # None: the trunk's Diagnostics
    health: Health
    calls: tuple[CallRow, ...]      # newest first, at most CALLS_SHOWN, started >= window_start
    errors: tuple[ErrorRow, ...]    # newest first, at most ERRORS_SHOWN, at >= window_start
    window_start: datetime
    generated_at: datetime


def group_calls(calls: list[CallRecord]) -> list[CallRow]:
    """Neighbours (newest first) never answered with the same outcome are one row."""
    rows: list[CallRow] = []
    for call in calls:
        last = rows[-1] if rows else None
        if last and call.answered_at is None and last.record.answered_at is None \
                and call.outcome is last.record.outcome:
            rows[-1] = CallRow(last.record, last.count + 1, call.started_at)
        else:
            rows.append(CallRow(call, 1, call.started_at))
    return rows


def group_errors(errors: list[ErrorRecord]) -> list[ErrorRow]:
    """Neighbours (newest first) with the same source, message and hint are one row."""
    rows: list[ErrorRow] = []
    for error in errors:
        last = rows[-1] if rows else None
        if last and (error.source, error.message, error.hint) == \
                (last.record.source, last.record.message, last.record.hint):
            rows[-1] = ErrorRow(last.record, last.count + 1, error.at)
        else:
            rows.append(ErrorRow(error, 1, error.at))
    return rows


def diagnose(*, trunk_id: str, trunk: Trunk | None, number: PhoneNumber | None,
             calls: list[CallRecord], errors: list[ErrorRecord], last_call_at: datetime | None,
             now: datetime, fleet: FleetRoom | None = None) -> Diagnostics:
    """Assemble the view; `trunk` is None only when a number's trunk was deleted. `fleet`: the
    edges' room, when no edge holds the trunk (registration.as_shown)."""
    if trunk is None:
        health = Health(Assignment(False, None, None), None, None, Credentials.UNKNOWN,
                        last_call_at)
    else:
        shown = as_shown(trunk.registration, trunk.lease.expires_at if trunk.lease else None,
                         now, fleet)
        health = Health(Assignment.of(trunk, now), shown, trunk.account.extension,
                        Credentials.of(shown), last_call_at)
    return Diagnostics(trunk_id=trunk_id, number=number, health=health,
                       calls=tuple(group_calls(calls)[:CALLS_SHOWN]),
                       errors=tuple(group_errors(errors)[:ERRORS_SHOWN]),
                       window_start=now - WINDOW, generated_at=now)
