"""PhoneNumberRepository on DynamoDB: bound numbers, their cross-tenant claims, and the trunk's
`bindings_version`, always written together.

Binding is one transaction of four items: the `did:<e164>` claim is new (so a DID is bound at
most once across all tenants), the number item is new, the agent is still the tenant's (ADD 1 to
its `bindings_version`, which deleting the agent is conditioned on), and the trunk is still the
tenant's and registers the same extension (ADD 1 to its `bindings_version`, which edges watch to
re-read their routing and deleting the trunk is conditioned on; and the number's id to its
`bound_numbers`, which tells the edges when their read of the trunk index is complete).
Unbinding deletes the number and its claim, bumps the trunk's counter and takes the id off.
Nothing is written unless everything is.
"""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ...domain.dids import international
from ...domain.errors import Conflict, NotFound
from ...domain.phone_number import PhoneNumber
from ...service_layer.ports import PhoneNumberRepository
from .models import AgentModel, ClaimModel, PhoneNumberModel, TrunkModel

ALREADY_BOUND = "{number} is already bound"
CHANGED = ("The trunk or the agent was changed or deleted by another request at the same time; "
           "reload and try again.")
# The position of each item in a binding's transaction, which is also the position of its
# cancellation reason. pynamodb sends condition checks, deletes, puts, updates, in that order.
_CLAIM_PUT = 0


def to_domain(item: PhoneNumberModel) -> PhoneNumber:
    return PhoneNumber(
        number_id=item.number_id, tenant_id=item.tenant_id, e164=item.e164,
        national_number=item.national_number, label=item.label, trunk_id=item.trunk_id,
        extension=item.extension, agent_id=item.agent_id, created_at=item.created_at,
    )


def _claim(number: PhoneNumber) -> ClaimModel:
    return ClaimModel(number.unique_key, owner_id=number.number_id, tenant_id=number.tenant_id)


def _failed(exc: TransactWriteError) -> set[int]:
    """Positions of the items whose condition failed."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return {i for i, r in enumerate(reasons)
            if r is not None and r.code == "ConditionalCheckFailed"}


def _bump() -> list:
    """Edges compare the trunk's `bindings_version` to re-read its numbers."""
    return [TrunkModel.bindings_version.add(1)]


def _record(trunk_id: str, number_id: str, bound: bool) -> tuple[list, object]:
    """The trunk's record of its bound numbers, updated with a bind (or an unbind), and the
    condition that keeps it exact (domain/phone_number.lists_every_binding). A trunk from
    before the record gets one, seeded from the index: its older bindings are long
    propagated."""
    try:
        item = TrunkModel.get(trunk_id, consistent_read=True,
                              attributes_to_get=["trunk_id", "bound_count", "bound_numbers"])
    except DoesNotExist:
        return [], TrunkModel.trunk_id.exists()
    if item.bound_count is not None:
        change = TrunkModel.bound_numbers.add({number_id}) if bound \
            else TrunkModel.bound_numbers.delete({number_id})
        return [change, TrunkModel.bound_count.add(1 if bound else -1)], \
            TrunkModel.bound_count.exists()
    ids = {i.number_id for i in PhoneNumberModel.trunk_index.query(trunk_id)}
    ids = ids | {number_id} if bound else ids - {number_id}
    numbers = TrunkModel.bound_numbers.set(ids) if ids else TrunkModel.bound_numbers.remove()
    return [numbers, TrunkModel.bound_count.set(len(ids))], \
        TrunkModel.bound_count.does_not_exist()


class DynamoPhoneNumberRepository(PhoneNumberRepository):
    def __init__(self, connection: Connection | None = None):
        self._connection = connection or Connection(region=PhoneNumberModel.Meta.region)

    def add(self, number: PhoneNumber) -> None:
        item = PhoneNumberModel(
            number.number_id, tenant_id=number.tenant_id, e164=number.e164,
            national_number=number.national_number, label=number.label,
            trunk_id=number.trunk_id, extension=number.extension, agent_id=number.agent_id,
            created_at=number.created_at,
        )
        recorded, unchanged = _record(number.trunk_id, number.number_id, bound=True)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_claim(number), condition=ClaimModel.claim.does_not_exist())
                tx.save(item, condition=PhoneNumberModel.number_id.does_not_exist())
                tx.update(AgentModel(number.agent_id),
                          actions=[AgentModel.bindings_version.add(1)],
                          condition=AgentModel.tenant_id == number.tenant_id)
                tx.update(TrunkModel(number.trunk_id), actions=_bump() + recorded,
                          condition=(TrunkModel.tenant_id == number.tenant_id)
                          & (TrunkModel.extension == number.extension) & unchanged)
        except TransactWriteError as exc:
            failed = _failed(exc)
            if _CLAIM_PUT in failed:
                # Whoever holds the claim, the answer is the same: another tenant's binding is
                # not revealed.
                raise Conflict(ALREADY_BOUND.format(number=international(number.e164))) from exc
            if failed:
                raise Conflict(CHANGED) from exc
            raise

    def get(self, tenant_id: str, number_id: str) -> PhoneNumber:
        number = self._find(number_id)
        if number is None or number.tenant_id != tenant_id:
            raise NotFound(f"No phone number {number_id}.")
        return number

    def list(self, tenant_id: str) -> list[PhoneNumber]:
        return [to_domain(i) for i in PhoneNumberModel.tenant_index.query(tenant_id)]

    def for_trunk(self, trunk_id: str) -> list[PhoneNumber]:
        return [to_domain(i) for i in PhoneNumberModel.trunk_index.query(trunk_id)]

    def find_by_e164(self, e164: str) -> PhoneNumber | None:
        try:
            claim = ClaimModel.get(f"did:{e164}", consistent_read=True)
        except DoesNotExist:
            return None
        return self._find(claim.owner_id)

    def remove(self, number: PhoneNumber) -> None:
        """Delete the number and its claim; bump the trunk's counter unless the trunk is gone
        (an update would otherwise create a stub trunk item)."""
        trunk_exists = self._trunk_exists(number.trunk_id)
        recorded, unchanged = _record(number.trunk_id, number.number_id, bound=False)
        try:
            with TransactWrite(connection=self._connection) as tx:
                if not trunk_exists:
                    tx.condition_check(TrunkModel, number.trunk_id,
                                       condition=TrunkModel.trunk_id.does_not_exist())
                tx.delete(PhoneNumberModel(number.number_id),
                          condition=PhoneNumberModel.number_id.exists())
                # A claim already gone is fine; one held by another number is not ours to drop.
                tx.delete(_claim(number), condition=ClaimModel.claim.does_not_exist()
                          | (ClaimModel.owner_id == number.number_id))
                if trunk_exists:
                    tx.update(TrunkModel(number.trunk_id), actions=_bump() + recorded,
                              condition=TrunkModel.trunk_id.exists() & unchanged)
        except TransactWriteError as exc:
            if not _failed(exc):
                raise
            if self._find(number.number_id) is None:
                raise NotFound(f"No phone number {number.number_id}.") from exc
            raise Conflict(CHANGED) from exc

    @staticmethod
    def _trunk_exists(trunk_id: str) -> bool:
        try:
            TrunkModel.get(trunk_id, consistent_read=True, attributes_to_get=["trunk_id"])
        except DoesNotExist:
            return False
        return True

    @staticmethod
    def _find(number_id: str) -> PhoneNumber | None:
        try:
            return to_domain(PhoneNumberModel.get(number_id, consistent_read=True))
        except DoesNotExist:
            return None
