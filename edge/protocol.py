"""Messages between the supervisor and its worker processes (over a multiprocessing Pipe)."""

from __future__ import annotations

from dataclasses import dataclass

from smartalex.domain.messages import RegistrationObserved
from smartalex.domain.trunk import SipAccount


# supervisor → worker
@dataclass(frozen=True)
class Hold:
    """Register this trunk (replacing any earlier generation of it)."""

    trunk_id: str
    generation: int
    account: SipAccount
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"Hold(trunk_id={self.trunk_id!r}, generation={self.generation})"


@dataclass(frozen=True)
class Release:
    """Un-register this trunk and forget it."""

    trunk_id: str


@dataclass(frozen=True)
class Shutdown:
    """Un-register everything and exit."""


# worker → supervisor
@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Heartbeat:
    held: int


@dataclass(frozen=True)
class Observed:
    trunk_id: str
    generation: int
    observed: RegistrationObserved


@dataclass(frozen=True)
class Released:
    trunk_id: str
