"""An in-memory lease table shared by several edges, and clocks that move only when told to.

`FakeLeaseStore` follows `smartalex/adapters/dynamodb/leases.py`: a trunk is claimable when its
lease expired strictly before `now` (or was released, which sets the expiry to 0); a claim adds
one to the fence; renew and release succeed only for the caller's owner and fence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

from smartalex.domain.assignment import LEASE_SECONDS, Lease
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
    """The trunks table as far as leases go."""

    def __init__(self) -> None:
        self.trunks: dict[str, Trunk] = {}
        self.fences: dict[str, int] = {}  # survives a release, like the lease_fence attribute

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
        return trunk

    def delete(self, trunk_id: str) -> None:
        del self.trunks[trunk_id]

    def bump_generation(self, trunk_id: str) -> Trunk:
        trunk = self.trunks[trunk_id]
        self.trunks[trunk_id] = replace(trunk, generation=trunk.generation + 1)
        return self.trunks[trunk_id]

    def take_over(self, trunk_id: str, owner: str, now: float) -> Lease:
        """Another edge holds the trunk now (as after an expiry and its claim)."""
        return self._lease(trunk_id, owner, now)

    def lease(self, trunk_id: str) -> Lease | None:
        return self.trunks[trunk_id].lease

    def _lease(self, trunk_id: str, owner: str, now: float) -> Lease:
        self.fences[trunk_id] = self.fences.get(trunk_id, 0) + 1
        lease = Lease(owner, self.fences[trunk_id], now + LEASE_SECONDS)
        self.trunks[trunk_id] = replace(self.trunks[trunk_id], lease=lease)
        return lease

    def _expiry(self, trunk_id: str) -> float:
        lease = self.trunks[trunk_id].lease
        return lease.expires_at if lease else 0.0


class FakeLeaseStore:
    """One edge's view of the shared table."""

    def __init__(self, table: FakeLeaseTable, owner: str, time: FakeTime) -> None:
        self.table = table
        self.owner = owner
        self.time = time
        self.claim_latency = 0.0  # seconds a claim takes to come back (after the write)
        self.renew_latency = 0.0
        self.unreachable = False  # every call raises, as when DynamoDB cannot be reached
        self.renewals_fail = False  # only renew raises, as when writes are throttled
        self.claim_fails_for: set[str] = set()  # claims of these trunks raise
        self.renewals: list[float] = []  # wall time of each renewal attempt

    def _call(self) -> None:
        if self.unreachable:
            raise ConnectionError("DynamoDB endpoint unreachable")

    def claimable(self, now: float, limit: int) -> list[str]:
        if limit <= 0:
            return []  # the adapter answers this without a request
        self._call()
        expired = [t for t in self.table.trunks if self.table._expiry(t) < now]
        return sorted(expired, key=self.table._expiry)[:limit]

    def claim(self, trunk_id: str, now: float) -> Claimed | None:
        self._call()
        if trunk_id in self.claim_fails_for:
            raise ConnectionError("throttled")
        if trunk_id not in self.table.trunks or not self.table._expiry(trunk_id) < now:
            return None
        lease = self.table._lease(trunk_id, self.owner, now)
        self.time.advance(self.claim_latency)
        return Claimed(lease, self.table.trunks[trunk_id])

    def renew(self, lease: Lease, trunk_id: str, now: float) -> Lease | None:
        self.renewals.append(now)
        self._call()
        if self.renewals_fail:
            raise ConnectionError("ProvisionedThroughputExceededException")
        if not self._ours(lease, trunk_id):
            return None
        renewed = Lease(lease.owner, lease.fence, now + LEASE_SECONDS)
        self.table.trunks[trunk_id] = replace(self.table.trunks[trunk_id], lease=renewed)
        self.time.advance(self.renew_latency)
        return renewed

    def release(self, lease: Lease, trunk_id: str) -> None:
        self._call()
        if self._ours(lease, trunk_id):
            self.table.trunks[trunk_id] = replace(self.table.trunks[trunk_id], lease=None)

    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]:
        self._call()
        return {t: self.table.trunks[t] for t in trunk_ids if t in self.table.trunks}

    def _ours(self, lease: Lease, trunk_id: str) -> bool:
        trunk = self.table.trunks.get(trunk_id)
        return trunk is not None and trunk.lease is not None \
            and trunk.lease.owner == self.owner and trunk.lease.fence == lease.fence


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
