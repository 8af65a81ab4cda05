"""Registration claims on DynamoDB: at most one trunk registers a PBX extension.

Keys come from domain.assignment.registration_identity. A claim is taken or renewed with one
transaction over all of a registration's keys, each conditional on being free, expired, or the
same trunk's already, so two trunks never both hold part of an identity.
"""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ...domain.assignment import REGISTRATION_CLAIM_SECONDS
from .conditions import is_conditional_failure
from .models import ClaimModel


class DynamoRegistrationClaims:
    def __init__(self, connection: Connection | None = None,
                 claim_seconds: float = REGISTRATION_CLAIM_SECONDS):
        self._connection = connection or Connection(region=ClaimModel.Meta.region)
        self.claim_seconds = claim_seconds

    def claim(self, keys: tuple[str, ...], trunk_id: str, tenant_id: str, now: float) -> bool:
        """Take or renew every key for `trunk_id`; False if another trunk holds any of them.
        One key (a registrar with one address, the usual case) is one conditional write; a
        transaction costs twice as much in DynamoDB, and the local endpoint copies the whole
        claims table for each one (moto's rollback), which made it the bottleneck of an edge
        restart."""
        if not keys:
            return True
        free = ClaimModel.owner_id.does_not_exist() | (ClaimModel.owner_id == trunk_id) \
            | (ClaimModel.expires_at < now)
        actions = [ClaimModel.owner_id.set(trunk_id), ClaimModel.tenant_id.set(tenant_id),
                   ClaimModel.expires_at.set(now + self.claim_seconds)]
        try:
            if len(keys) == 1:
                ClaimModel(keys[0]).update(condition=free, actions=actions)
                return True
            with TransactWrite(connection=self._connection) as tx:
                for key in keys:
                    tx.update(ClaimModel(key), condition=free, actions=actions)
        except (TransactWriteError, UpdateError) as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def release(self, keys: tuple[str, ...], trunk_id: str) -> None:
        """Give back what `trunk_id` holds of `keys` (the trunk was deleted or changed)."""
        for key in keys:
            try:
                ClaimModel(key).delete(condition=ClaimModel.owner_id == trunk_id)
            except DeleteError as exc:
                if not is_conditional_failure(exc):
                    raise
