"""Leases: which edge holds which trunk, and for how long.

A real Asterisk lets a second REGISTER of the same extension silently replace the first, so two
edges holding one trunk would steal it from each other without noticing. An edge may therefore
register a trunk only while it holds an unexpired lease on it; `fence` increases with every new
holder so that messages from an earlier holder can be recognised and ignored.
See docs/assignments.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

LEASE_SECONDS = 15.0
RENEW_EVERY_SECONDS = 5.0
# An edge stops using a lease this long before it expires by its own clock, to absorb clock skew
# between edges and the time a renewal takes.
SAFETY_MARGIN_SECONDS = 3.0


@dataclass(frozen=True)
class Lease:
    owner: str
    fence: int
    expires_at: float  # epoch seconds, DynamoDB's clock of record is the writer's clock
    since: datetime | None = None  # when this holder claimed it (Diagnostics shows it)

    def is_expired(self, now: float) -> bool:
        return self.expires_at <= now

    def usable_until(self, renewed_at_local: float) -> float:
        """Local monotonic deadline after which the holder must stop registering."""
        return renewed_at_local + LEASE_SECONDS - SAFETY_MARGIN_SECONDS


# One PBX extension, one trunk, across all tenants: two registrations of one extension take its
# calls from each other (the newest REGISTER wins, silently). Before a trunk's first REGISTER
# the edge claims its registration identity, the registrar as resolved, its port and the
# extension; the claim is the trunk's (not the edge's), so whichever edge holds the trunk next
# keeps it, and it lapses unless renewed: long enough to outlast a hand-over between edges.
REGISTRATION_CLAIM_SECONDS = 120.0
REGISTRATION_CLAIM_RENEW_SECONDS = 40.0


def registration_identity(hops: Iterable[tuple[str, int]], extension: str) -> tuple[str, ...]:
    """The claim keys of one registration: every (address, port) the registrar resolved to
    (a PBX reached by name and by IP address is the same PBX; so are the servers its SRV
    records list, any of which the edge may register with)."""
    return tuple(f"registration:{address}:{port}:{extension}"
                 for address, port in sorted(set(hops)))
