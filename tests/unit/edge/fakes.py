"""An in-memory lease table shared by several edges, and clocks that move only when told to.

`FakeLeaseStore` follows `smartalex/adapters/dynamodb/leases.py`: each edge has a lease item of
its own (`holder` → expiry, 0 once finished); a trunk names the lease it is held under
(`free#<shard>` when unheld); a renewal needs `expires_at >= now`, finishing another edge's lease
needs `expires_at < now`, and a claim needs the trunk's holder unchanged, adding one to its fence.
Every write is counted per key (`writes`), as the load benchmark counts them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from smartalex.adapters.dynamodb.fleet import EdgeRecord
from smartalex.domain.assignment import LEASE_SECONDS, Lease, edge_of, free_holder, is_free
from smartalex.domain.registration import RegistrationStatus
from smartalex.domain.trunk import PbxType, SipAccount, Transport, Trunk

EPOCH = 1_740_819_600.0  # 2025-03-01 09:00 UTC
TRUNK = "trk_0001"  # the trunk in the `table` fixture (conftest.py)


class FakeTime:
    """A wall clock shared by every edge; each edge gets its own monotonic clock."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def wall(self) -> float:
        return EPOCH + self.elapsed

    def monotonic(self, origin: float):
        """A monotonic clock for one edge: same pace, its own arbitrary origin."""
        return lambda: origin + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@dataclass(frozen=True)
class Claimed:
    lease: Lease
    trunk: Trunk


class FakeLeaseTable:
    """The trunks table (as far as leases go) and the edges' lease items."""

    def __init__(self) -> None:
        self.trunks: dict[str, Trunk] = {}
        self.holders: dict[str, str] = {}  # trunk → the lease it is held under, or free#n
        self.fences: dict[str, int] = {}
        self.since: dict[str, float] = {}
        self.edges: dict[str, EdgeRecord] = {}
        self.writes: Counter[str] = Counter()  # key written ("edge:<holder>", "trunk:<id>")

    def add(self, trunk_id: str, generation: int = 1) -> Trunk:
        at = datetime.fromtimestamp(EPOCH, timezone.utc)
        trunk = Trunk(
            trunk_id=trunk_id, tenant_id="tenant-a", pbx_type=PbxType.ASTERISK,
            account=SipAccount("pbx.example.com", trunk_id[-4:], trunk_id[-4:], Transport.UDP,
                               5060),
            label=None, created_at=at, updated_at=at, generation=generation,
            registration=RegistrationStatus(since=at),
        )
        self.trunks[trunk_id] = trunk
        self.holders[trunk_id] = free_holder(trunk_id)
        self.fences[trunk_id] = 0
        return trunk

    def delete(self, trunk_id: str) -> None:
        del self.trunks[trunk_id]
        del self.holders[trunk_id]

    def bump_generation(self, trunk_id: str) -> Trunk:
        trunk = self.trunks[trunk_id]
        self.trunks[trunk_id] = replace(trunk, generation=trunk.generation + 1)
        return self.trunk(trunk_id)

    def take_over(self, trunk_id: str, holder: str) -> None:
        """Another lease holds the trunk now (as after its claim)."""
        self.holders[trunk_id] = holder
        self.fences[trunk_id] += 1

    def holder(self, trunk_id: str) -> str:
        return self.holders[trunk_id]

    def held_by_edge(self, edge_id: str) -> set[str]:
        return {t for t, h in self.holders.items() if not is_free(h) and edge_of(h) == edge_id}

    def trunk(self, trunk_id: str) -> Trunk:
        holder = self.holders[trunk_id]
        lease = None
        if not is_free(holder):
            record = self.edges.get(holder)
            since = datetime.fromtimestamp(self.since.get(trunk_id, EPOCH), timezone.utc)
            lease = Lease(edge_of(holder), self.fences[trunk_id],
                          record.expires_at if record else 0.0, since, holder)
        return replace(self.trunks[trunk_id], lease=lease)


class FakeLeaseStore:
    """One edge's view of the shared table."""

    def __init__(self, table: FakeLeaseTable, edge_id: str, time: FakeTime) -> None:
        self.table = table
        self.edge_id = edge_id
        self.time = time
        self.unreachable = False  # every call raises, as when DynamoDB cannot be reached
        self.renewals_fail = False  # only renew raises, as when writes are throttled
        self.claim_fails_for: set[str] = set()  # claims of these trunks raise
        self.renew_latency = 0.0  # seconds a renewal takes to come back (after the write)
        self.claim_latency = 0.0
        self.renewals: list[float] = []  # wall time of each renewal attempt
        self.forgotten: list[str] = []

    def _call(self) -> None:
        if self.unreachable:
            raise ConnectionError("DynamoDB endpoint unreachable")

    def _write(self, key: str) -> None:
        self.table.writes[key] += 1

    # --- the edge's own lease ---
    def acquire(self, holder: str, now: float, room: int | None = None) -> float:
        self._call()
        assert holder not in self.table.edges, "a new incarnation is a new key"
        self._write(f"edge:{holder}")
        self.table.edges[holder] = EdgeRecord(holder, now + LEASE_SECONDS, room=room)
        return now + LEASE_SECONDS

    def renew(self, holder: str, now: float, room: int | None = None) -> float | None:
        self.renewals.append(now)
        self._call()
        if self.renewals_fail:
            raise ConnectionError("ProvisionedThroughputExceededException")
        self._write(f"edge:{holder}")
        record = self.table.edges.get(holder)
        if record is None or record.expires_at < now:
            return None
        self.table.edges[holder] = replace(record, expires_at=now + LEASE_SECONDS,
                                           room=record.room if room is None else room)
        self.time.advance(self.renew_latency)
        return now + LEASE_SECONDS

    def finish(self, holder: str, now: float, expired_only: bool = True) -> bool:
        self._call()
        self._write(f"edge:{holder}")
        record = self.table.edges.get(holder)
        if record is None or (expired_only and not record.expires_at < now):
            return False
        self.table.edges[holder] = EdgeRecord(holder, 0.0, now)
        return True

    # --- finding trunks ---
    def edges(self) -> list[EdgeRecord]:
        self._call()
        return list(self.table.edges.values())

    def held_by(self, holder: str, limit: int) -> list[str]:
        self._call()
        return sorted(t for t, h in self.table.holders.items() if h == holder)[:limit]

    def count_held_by(self, holder: str) -> int:
        self._call()
        return sum(1 for h in self.table.holders.values() if h == holder)

    def forget(self, holder: str, now: float) -> bool:
        self._call()
        record = self.table.edges.get(holder)
        if record is None or record.expires_at != 0 or record.finished_at > now - 300:
            return False
        del self.table.edges[holder]
        self.forgotten.append(holder)
        return True

    # --- trunks ---
    def claim(self, trunk_id: str, from_holder: str, holder: str, now: float) -> Claimed | None:
        self._call()
        if trunk_id in self.claim_fails_for:
            raise ConnectionError("throttled")
        self._write(f"trunk:{trunk_id}")
        if self.table.holders.get(trunk_id) != from_holder:
            return None
        self.table.holders[trunk_id] = holder
        self.table.fences[trunk_id] += 1
        self.table.since[trunk_id] = now
        self.time.advance(self.claim_latency)
        trunk = self.table.trunk(trunk_id)
        return Claimed(trunk.lease, trunk)

    def release(self, lease: Lease, trunk_id: str) -> None:
        self._call()
        self._write(f"trunk:{trunk_id}")
        if self.table.holders.get(trunk_id) == lease.holder \
                and self.table.fences[trunk_id] == lease.fence:
            self.table.holders[trunk_id] = free_holder(trunk_id)

    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]:
        self._call()
        return {t: self.table.trunk(t) for t in trunk_ids if t in self.table.trunks}


class FakeRegistrationClaims:
    """The claims table's registration claims (adapters/dynamodb/registration_claims.py)."""

    def __init__(self, claim_seconds: float = 120.0) -> None:
        self.owners: dict[str, tuple[str, float]] = {}  # key → (trunk, expires_at)
        self.claim_seconds = claim_seconds
        self.failing = False

    def claim(self, keys: tuple[str, ...], trunk_id: str, tenant_id: str, now: float) -> bool:
        if self.failing:
            raise ConnectionError("DynamoDB unreachable")
        if any(self.owners.get(k, (trunk_id, 0.0))[0] != trunk_id
               and self.owners[k][1] >= now for k in keys):
            return False
        for key in keys:
            self.owners[key] = (trunk_id, now + self.claim_seconds)
        return True

    def release(self, keys: tuple[str, ...], trunk_id: str) -> None:
        for key in keys:
            if self.owners.get(key, ("",))[0] == trunk_id:
                del self.owners[key]
