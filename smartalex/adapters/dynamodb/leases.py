"""Edge leases on DynamoDB: each edge's own lease item, and the trunks held under it.

Design and safety argument in docs/assignments.md. In short:
- an edge renews ONE item (EdgeLeaseModel) every second; each trunk names the lease it is held
  under (`lease_holder`), so renewals never touch a trunk or an index;
- a lease whose `expires_at` is 0 is *finished*: its edge handed it back, or another edge found
  it expired (by that edge's clock) and finished it. A finished lease is never renewed (a
  renewal requires `expires_at >= now`), so once an edge has seen it finished, every trunk still
  held under it may be claimed with a plain conditional write (`lease_holder` unchanged);
- a trunk's claim and hand-back are conditional on `lease_holder` (and the fence), so a slow or
  partitioned edge can never overwrite a newer holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pynamodb.connection import TableConnection
from pynamodb.exceptions import DeleteError, UpdateError

from ...domain.assignment import LEASE_SECONDS, Lease, edge_of, free_holder
from ...domain.trunk import Trunk
from .conditions import is_conditional_failure
from .fleet import EdgeRecord, read_fleet
from .models import EdgeLeaseModel, TrunkModel
from .trunks import to_domain

# The renewal's own bounds: a renewal goes out every second (several may be in flight: edge/
# lease.py) and the lease stays usable for four after the last good one was sent
# (domain/assignment.py), so one that has not been answered in 3 s could no longer help;
# retrying inside botocore would only delay the next.
RENEW_CONNECT_TIMEOUT = 1.0
RENEW_READ_TIMEOUT = 3.0
# A finished lease's item is deleted once none of its trunks is found under it this long after
# it finished: a claim its edge sent just before its lease lapsed (and retried for up to ~25 s)
# must have reached the holder index by then, or the trunk would be held under a lease nobody
# looks at any more. holder-index lags by well under a second normally.
FORGET_AFTER_SECONDS = 300.0


@dataclass(frozen=True)
class Claimed:
    lease: Lease
    trunk: Trunk


class DynamoLeaseStore:
    def __init__(self, edge_id: str, lease_seconds: float = LEASE_SECONDS):
        self.edge_id = edge_id
        self.lease_seconds = lease_seconds
        self._expiry: dict[str, float] = {}  # our own leases' expiries, as last written
        self._renewals: TableConnection | None = None

    # --- the edge's own lease ---
    def acquire(self, holder: str, now: float, room: int | None = None) -> float:
        """Start a new lease (a new incarnation of this edge); returns its expiry. `room`: the
        registrations the edge can still take (fleet.EdgeRecord.room)."""
        expires = now + self.lease_seconds
        EdgeLeaseModel(holder, edge_id=edge_of(holder), expires_at=expires, room=room,
                       acquired_at=datetime.fromtimestamp(now, timezone.utc)).save(
            condition=EdgeLeaseModel.holder.does_not_exist())
        self._expiry[holder] = expires
        return expires

    def renew(self, holder: str, now: float, room: int | None = None) -> float | None:
        """Extend our lease; None if it can no longer be renewed: it expired by our own clock,
        or it was finished (handed back, or found expired by another edge). An expired lease is
        never revived: whatever was held under it may already be another edge's."""
        expires = now + self.lease_seconds
        actions = [EdgeLeaseModel.expires_at.set(expires)]
        if room is not None:
            actions.append(EdgeLeaseModel.room.set(room))
        try:
            self._renewal_connection().update_item(
                holder, actions=actions,
                condition=EdgeLeaseModel.expires_at >= now)
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        self._expiry[holder] = expires
        return expires

    def finish(self, holder: str, now: float, expired_only: bool = True) -> bool:
        """Set the lease's expiry to 0, for good: `expired_only` (another edge's lease) only if
        it expired before `now`; otherwise (our own, handed back) whatever it was. False if it
        was not expired (its edge renewed it meanwhile) or is gone."""
        condition = EdgeLeaseModel.holder.exists()
        if expired_only:
            condition &= EdgeLeaseModel.expires_at < now
        try:
            EdgeLeaseModel(holder).update(
                actions=[EdgeLeaseModel.expires_at.set(0),
                         EdgeLeaseModel.finished_at.set(now)], condition=condition)
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        self._expiry.pop(holder, None)
        return True

    # --- finding trunks to claim ---
    def edges(self) -> list[EdgeRecord]:
        """Every edge lease (fleet.read_fleet)."""
        return read_fleet()

    def held_by(self, holder: str, limit: int) -> list[str]:
        """Up to `limit` trunks held under `holder` (a finished lease, or free#<shard>)."""
        if limit <= 0:
            return []
        return [item.trunk_id for item in TrunkModel.holder_index.query(holder, limit=limit)]

    def count_held_by(self, holder: str) -> int:
        """How many trunks are held under `holder` (a Query that returns only the count)."""
        return TrunkModel.holder_index.count(holder)

    def forget(self, holder: str, now: float) -> bool:
        """Delete a finished lease's item once FORGET_AFTER_SECONDS have passed since it
        finished (the caller found none of its trunks left)."""
        try:
            EdgeLeaseModel(holder).delete(condition=(EdgeLeaseModel.expires_at == 0) & (
                EdgeLeaseModel.finished_at < now - FORGET_AFTER_SECONDS))
        except DeleteError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    # --- trunks ---
    def claim(self, trunk_id: str, from_holder: str, holder: str, now: float) -> Claimed | None:
        """Take a trunk held under `from_holder` (free#<shard>, or a lease the caller saw
        finished) for our lease `holder`; None if it changed hands meanwhile or is gone."""
        item = TrunkModel(trunk_id)
        try:
            item.update(
                actions=[TrunkModel.lease_holder.set(holder), TrunkModel.lease_fence.add(1),
                         TrunkModel.lease_since.set(datetime.fromtimestamp(now, timezone.utc))],
                condition=TrunkModel.lease_holder == from_holder)
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        trunk = self._trunk(item)
        return Claimed(trunk.lease, trunk)

    def release(self, lease: Lease, trunk_id: str) -> None:
        """Give one trunk back at once (it was deleted or let go of while the edge goes on), so
        another edge can claim it without waiting; a no-op if it is no longer ours."""
        try:
            TrunkModel(trunk_id).update(
                actions=[TrunkModel.lease_holder.set(free_holder(trunk_id)),
                         TrunkModel.lease_since.remove()],
                condition=(TrunkModel.lease_holder == lease.holder)
                & (TrunkModel.lease_fence == lease.fence))
        except UpdateError as exc:
            if not is_conditional_failure(exc):
                raise

    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]:
        """Current config of the trunks we hold (absent ids were deleted)."""
        return {item.trunk_id: self._trunk(item)
                for item in TrunkModel.batch_get(trunk_ids, consistent_read=True)}

    def _trunk(self, item: TrunkModel) -> Trunk:
        return to_domain(item, self._expiry.get(item.lease_holder or "", 0.0))

    def _renewal_connection(self) -> TableConnection:
        if self._renewals is None:
            meta = EdgeLeaseModel._get_connection().get_meta_table()
            self._renewals = TableConnection(
                EdgeLeaseModel.Meta.table_name, region=EdgeLeaseModel.Meta.region,
                connect_timeout_seconds=RENEW_CONNECT_TIMEOUT,
                read_timeout_seconds=RENEW_READ_TIMEOUT, max_retry_attempts=0,
                meta_table=meta)
        return self._renewals


def adopt_unindexed() -> int:
    """Give every trunk stored without a `lease_holder` (before edge leases existed) its free
    holder value, so that edges find it; returns how many. Run once by an operator after
    upgrading a deployed stage (`python -m smartalex.adapters.dynamodb.leases`, with their own
    credentials: no runtime may Scan), and by devstack when it restores a saved local state."""
    adopted = 0
    for item in TrunkModel.scan(TrunkModel.lease_holder.does_not_exist()):
        try:
            item.update(actions=[TrunkModel.lease_holder.set(free_holder(item.trunk_id))],
                        condition=TrunkModel.lease_holder.does_not_exist())
            adopted += 1
        except UpdateError as exc:
            if not is_conditional_failure(exc):
                raise
    return adopted


if __name__ == "__main__":
    print(f"{adopt_unindexed()} trunks given a lease holder")
