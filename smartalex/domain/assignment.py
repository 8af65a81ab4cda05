"""Leases: which edge holds which trunk, and for how long.

A real Asterisk lets a second REGISTER of the same extension silently replace the first, so two
edges holding one trunk would steal it from each other without noticing. An edge may therefore
register a trunk only while it holds an unexpired lease on it.

The lease is the edge's, not the trunk's: each edge renews one lease item of its own, and a trunk
names the lease it is held under (its `holder`, `<edge id>#<incarnation>`). A trunk is held until
its holder's lease expires, so an edge holding 1,000 trunks writes once a second, not 1,000
times every few seconds, and a dead edge's trunks all come free when its one lease expires.
`fence` increases with every new holder of a trunk, so that messages from an earlier holder can
be recognised and ignored. See docs/assignments.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

# An edge's lease runs this long from each renewal; it renews every RENEW_EVERY_SECONDS.
LEASE_SECONDS = 6.0
RENEW_EVERY_SECONDS = 1.0
# An edge stops using its lease this long before it expires by its own clock, to absorb clock
# skew between edges (far below this with NTP on ECS hosts) and the time its workers take to
# notice (one 20 ms event-pump turn).
SAFETY_MARGIN_SECONDS = 2.0
# Unheld trunks are indexed under one of these holder values (by a hash of the trunk id), so
# that creating and claiming many new trunks never funnels into one index key.
FREE_SHARDS = 4
_FREE = "free#"


def free_holder(trunk_id: str) -> str:
    """The holder value of an unheld trunk: `free#<shard>`."""
    shard = int.from_bytes(hashlib.sha256(trunk_id.encode()).digest()[:4], "big") % FREE_SHARDS
    return f"{_FREE}{shard}"


def free_holders() -> tuple[str, ...]:
    return tuple(f"{_FREE}{shard}" for shard in range(FREE_SHARDS))


def is_free(holder: str | None) -> bool:
    return not holder or holder.startswith(_FREE)


def holder_of(edge_id: str, incarnation: int) -> str:
    """An edge's lease key. A new incarnation starts whenever the edge's previous lease lapsed
    (it could not renew in time): whatever it held under the old one is no longer its own."""
    if "#" in edge_id:
        raise ValueError(f"an edge id may not contain '#': {edge_id!r}")
    return f"{edge_id}#{incarnation}"


def edge_of(holder: str) -> str:
    return holder.rsplit("#", 1)[0]


@dataclass(frozen=True)
class Lease:
    """A trunk's lease as the API and Diagnostics see it: held by edge `owner` until
    `expires_at`, the expiry of that edge's own lease. "Is this trunk held, and until when" is
    `not lease.is_expired(now)` and `lease.expires_at`."""

    owner: str
    fence: int
    expires_at: float  # epoch seconds, DynamoDB's clock of record is the writer's clock
    since: datetime | None = None  # when this holder claimed it (Diagnostics shows it)
    holder: str = ""  # the edge lease it rides on (`<owner>#<incarnation>`)

    def is_expired(self, now: float) -> bool:
        return self.expires_at <= now


@dataclass(frozen=True)
class FleetRoom:
    """How much room the live edges have, as each last wrote it with its lease renewal: what
    a trunk no edge holds is waiting for. `full` when there are live edges and none of them can
    take another registration (the fleet is scaling out: docs/deploy.md); an edge that has not
    written its room yet counts as having some."""

    edges: int  # live edges (unexpired, unfinished leases)
    with_room: int  # of those, the ones that can take at least one more registration

    @property
    def full(self) -> bool:
        return self.edges > 0 and self.with_room == 0

    @classmethod
    def of(cls, rooms: Iterable[int | None]) -> "FleetRoom":
        """From the live edges' rooms (None: not written yet)."""
        rooms = list(rooms)
        return cls(edges=len(rooms), with_room=sum(1 for r in rooms if r is None or r > 0))


def usable_until(renewal_sent_at: float) -> float:
    """Local monotonic deadline after which the holder must stop registering: counted from when
    the renewal that succeeded was *sent*, never from when its answer came back."""
    return renewal_sent_at + LEASE_SECONDS - SAFETY_MARGIN_SECONDS


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
