"""Edge leases on trunk items: claim, renew and release with DynamoDB conditional writes.

Design and safety argument in docs/assignments.md. Every write is conditional on the lease
the caller believes it holds, so a slow or partitioned edge can never overwrite a newer holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.exceptions import UpdateError

from ...domain.assignment import LEASE_SECONDS, Lease
from ...domain.trunk import Trunk
from .models import PLACEMENT_POOL, TrunkModel
from .conditions import is_conditional_failure
from .trunks import to_domain


@dataclass(frozen=True)
class Claimed:
    lease: Lease
    trunk: Trunk


class DynamoLeaseStore:
    def __init__(self, owner: str, lease_seconds: float = LEASE_SECONDS):
        self.owner = owner
        self.lease_seconds = lease_seconds

    def claimable(self, now: float, limit: int) -> list[str]:
        """Ids of trunks whose lease has expired (or was never taken), oldest first."""
        if limit <= 0:
            return []
        query = TrunkModel.placement_index.query(
            PLACEMENT_POOL, TrunkModel.lease_expires_at < now, limit=limit,
        )
        return [item.trunk_id for item in query]

    def claim(self, trunk_id: str, now: float) -> Claimed | None:
        """Take an expired lease; None if someone else holds it or the trunk is gone."""
        item = TrunkModel(trunk_id)
        try:
            item.update(
                actions=[
                    TrunkModel.lease_owner.set(self.owner),
                    TrunkModel.lease_fence.add(1),
                    TrunkModel.lease_expires_at.set(now + self.lease_seconds),
                    TrunkModel.lease_since.set(datetime.fromtimestamp(now, timezone.utc)),
                ],
                condition=TrunkModel.trunk_id.exists() & (TrunkModel.lease_expires_at < now),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        trunk = to_domain(item)
        return Claimed(trunk.lease, trunk)

    def renew(self, lease: Lease, trunk_id: str, now: float) -> Lease | None:
        """Extend our lease; None if it is no longer ours (taken over, or the trunk deleted)."""
        expires = now + self.lease_seconds
        try:
            TrunkModel(trunk_id).update(
                actions=[TrunkModel.lease_expires_at.set(expires)],
                condition=self._ours(lease),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        return Lease(lease.owner, lease.fence, expires)

    def release(self, lease: Lease, trunk_id: str) -> None:
        """Give the trunk back at once so another edge can claim it without waiting."""
        try:
            TrunkModel(trunk_id).update(
                actions=[TrunkModel.lease_expires_at.set(0), TrunkModel.lease_owner.remove(),
                         TrunkModel.lease_since.remove()],
                condition=self._ours(lease),
            )
        except UpdateError as exc:
            if not is_conditional_failure(exc):
                raise

    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]:
        """Current config of the trunks we hold (absent ids were deleted)."""
        return {item.trunk_id: to_domain(item)
                for item in TrunkModel.batch_get(trunk_ids, consistent_read=True)}

    def _ours(self, lease: Lease):
        return (TrunkModel.lease_owner == self.owner) & (TrunkModel.lease_fence == lease.fence)
