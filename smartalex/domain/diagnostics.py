"""Diagnostics: what a PBX admin looks at when calls to a number (or a trunk) misbehave.

Three parts, each cheap to read however long the history is:
- live health: who holds the trunk, its registration, whether the credentials are known to
  work, and when the last call arrived;
- the last `CALLS_SHOWN` calls of the last `WINDOW`, newest first;
- the last `ERRORS_SHOWN` phone-related errors of the same window.

Errors are recorded per trunk (what goes wrong is mostly the registration, the transfer or the
agent, not the number), so a number's Diagnostics lists its trunk's errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .call import CallRecord
from .errors_log import ErrorRecord
from .phone_number import PhoneNumber
from .registration import Problem, RegistrationState, RegistrationStatus, classify
from .trunk import Trunk

WINDOW = timedelta(hours=24)
CALLS_SHOWN = 10
ERRORS_SHOWN = 5
# "Last call arrived" looks further back than the window when the window is empty, as far as
# call records are kept (adapters/dynamodb/calls.RETENTION).
LAST_CALL_LOOKBACK = timedelta(days=30)


class Credentials(StrEnum):
    """Whether the PBX accepted the trunk's username and password, as far as we know."""

    VALID = "yes"                   # registered: the PBX accepted them
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
class Diagnostics:
    trunk_id: str
    number: PhoneNumber | None      # None: the trunk's Diagnostics
    health: Health
    calls: tuple[CallRecord, ...]   # newest first, at most CALLS_SHOWN, started >= window_start
    errors: tuple[ErrorRecord, ...]  # newest first, at most ERRORS_SHOWN, at >= window_start
    window_start: datetime
    generated_at: datetime


def diagnose(*, trunk_id: str, trunk: Trunk | None, number: PhoneNumber | None,
             calls: list[CallRecord], errors: list[ErrorRecord], last_call_at: datetime | None,
             now: datetime) -> Diagnostics:
    """Assemble the view; `trunk` is None only when a number's trunk was deleted."""
    if trunk is None:
        health = Health(Assignment(False, None, None), None, None, Credentials.UNKNOWN,
                        last_call_at)
    else:
        health = Health(Assignment.of(trunk, now), trunk.registration,
                        trunk.account.extension, Credentials.of(trunk.registration),
                        last_call_at)
    return Diagnostics(trunk_id=trunk_id, number=number, health=health,
                       calls=tuple(calls[:CALLS_SHOWN]), errors=tuple(errors[:ERRORS_SHOWN]),
                       window_start=now - WINDOW, generated_at=now)
