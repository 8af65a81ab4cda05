"""TrunkRepository on DynamoDB: trunk items plus their uniqueness claims, written together."""

from __future__ import annotations

import time

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from ...domain.assignment import FleetRoom, Lease, edge_of, free_holder, is_free
from ...domain.errors import Conflict, NotFound
from ...domain.messages import order_key
from ...domain.registration import RegistrationState, RegistrationStatus
from ...domain.trunk import PbxType, SipAccount, Transport, Trunk
from ...service_layer.ports import TrunkRepository
from .conditions import is_conditional_failure, same_version
from .fleet import read_fleet
from .models import AgentModel, ClaimModel, EdgeLeaseModel, TrunkModel

DUPLICATE = "A trunk for extension {ext} on {domain} already exists."
CHANGED = "The trunk was changed by another request at the same time; reload and try again."


def to_domain(item: TrunkModel, lease_expires_at: float = 0.0) -> Trunk:
    """`lease_expires_at`: the expiry of the edge lease the trunk is held under (its holder's
    item, read separately: `DynamoTrunkRepository` reads it, an edge knows its own)."""
    lease = None
    if not is_free(item.lease_holder):
        lease = Lease(edge_of(item.lease_holder), int(item.lease_fence), lease_expires_at,
                      item.lease_since, item.lease_holder)
    return Trunk(
        trunk_id=item.trunk_id, tenant_id=item.tenant_id, pbx_type=PbxType(item.pbx_type),
        account=SipAccount(item.domain, item.extension, item.username,
                           Transport(item.transport), int(item.port),
                           item.tls_verify is not False,  # absent (older items): verify
                           tuple(item.pbx_source_addresses or ()),
                           item.explicit_port is not False, item.outbound_proxy),
        label=item.label, created_at=item.created_at, updated_at=item.updated_at,
        generation=int(item.generation),
        registration=RegistrationStatus(
            state=RegistrationState(item.reg_state), error=item.reg_error,
            warning=item.reg_warning,
            sip_code=int(item.reg_sip_code) if item.reg_sip_code is not None else None,
            since=item.reg_since, last_attempt_at=item.reg_last_attempt_at,
            expires_at=item.reg_expires_at,
        ),
        lease=lease,
        agent_id=item.agent_id,
        directory_version=int(item.directory_version or 0),
        bindings_version=int(item.bindings_version or 0),
        agent_version=int(item.agent_version or 0),
        answer_delay_seconds=int(item.answer_delay_seconds or 0),
        bound_numbers=None if item.bound_count is None
        else frozenset(item.bound_numbers or ()),
    )


def _with_leases(items: list[TrunkModel]) -> list[Trunk]:
    """The trunks with their leases: a trunk is held until its holder's edge lease expires, so
    that expiry is read from the edges' table (one read per distinct holder, batched)."""
    holders = sorted({i.lease_holder for i in items if not is_free(i.lease_holder)})
    expiries = {e.holder: _held_until(e) for e in EdgeLeaseModel.batch_get(holders)} \
        if holders else {}
    return [to_domain(i, expiries.get(i.lease_holder or "", 0.0)) for i in items]


def _held_until(edge: EdgeLeaseModel) -> float:
    """When an edge lease ends: its expiry, or when it was finished (handed back, or found
    expired), which is when its trunks stopped being held (registration.as_shown counts the
    time without an edge from there)."""
    if not edge.expires_at and edge.finished_at:
        return float(edge.finished_at)
    return float(edge.expires_at)


def _status_attributes(status: RegistrationStatus) -> dict:
    return dict(
        reg_state=status.state.value, reg_error=status.error, reg_warning=status.warning,
        reg_sip_code=status.sip_code,
        reg_since=status.since, reg_last_attempt_at=status.last_attempt_at,
        reg_expires_at=status.expires_at,
    )


def _config_attributes(trunk: Trunk) -> dict:
    a = trunk.account
    return dict(
        tenant_id=trunk.tenant_id, pbx_type=trunk.pbx_type.value, domain=a.domain,
        extension=a.extension, username=a.username, transport=a.transport.value, port=a.port,
        tls_verify=a.tls_verify, pbx_source_addresses=list(a.pbx_source_addresses) or None,
        explicit_port=a.explicit_port, outbound_proxy=a.outbound_proxy,
        label=trunk.label, generation=trunk.generation, created_at=trunk.created_at,
        updated_at=trunk.updated_at, answer_delay_seconds=trunk.answer_delay_seconds,
    )


def _claim(trunk: Trunk) -> ClaimModel:
    return ClaimModel(trunk.unique_key, owner_id=trunk.trunk_id, tenant_id=trunk.tenant_id)


def _set_all(values: dict) -> list:
    """Update actions: set present values, remove attributes that became null."""
    return [getattr(TrunkModel, k).set(v) if v is not None else getattr(TrunkModel, k).remove()
            for k, v in values.items()]


class DynamoTrunkRepository(TrunkRepository):
    def __init__(self, connection: Connection | None = None):
        self._connection = connection or Connection(region=TrunkModel.Meta.region)

    def add(self, trunk: Trunk) -> None:
        item = TrunkModel(trunk.trunk_id, **_config_attributes(trunk),
                          **_status_attributes(trunk.registration),
                          reg_order=order_key(trunk.generation, 0, 0),
                          lease_holder=free_holder(trunk.trunk_id))
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_claim(trunk), condition=ClaimModel.claim.does_not_exist())
                tx.save(item, condition=TrunkModel.trunk_id.does_not_exist())
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise Conflict(DUPLICATE.format(ext=trunk.account.extension,
                                                domain=trunk.account.domain)) from exc
            raise

    def get(self, tenant_id: str, trunk_id: str) -> Trunk:
        trunk = self.find(trunk_id)
        if trunk is None or trunk.tenant_id != tenant_id:
            raise NotFound(f"No trunk {trunk_id}.")
        return trunk

    def find(self, trunk_id: str) -> Trunk | None:
        try:
            item = TrunkModel.get(trunk_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _with_leases([item])[0]

    def list(self, tenant_id: str) -> list[Trunk]:
        return _with_leases(list(TrunkModel.tenant_index.query(tenant_id)))

    def fleet_room(self) -> FleetRoom:
        """The live edges' room, as each wrote it with its last renewal (one Query of the
        fleet index and one batch read of the edges' lease items, a few hundred at most)."""
        now = time.time()
        return FleetRoom.of(edge.room for edge in read_fleet() if edge.alive(now))

    def replace(self, before: Trunk, after: Trunk) -> None:
        config = _config_attributes(after)
        del config["tenant_id"], config["created_at"]
        actions = _set_all(config)
        if after.generation != before.generation:
            actions += _set_all(_status_attributes(after.registration))
            actions.append(TrunkModel.reg_order.set(order_key(after.generation, 0, 0)))
        unchanged = (TrunkModel.generation == before.generation) & \
            (TrunkModel.updated_at == before.updated_at)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(TrunkModel(before.trunk_id), actions=actions, condition=unchanged)
                if after.unique_key != before.unique_key:
                    tx.delete(_claim(before))
                    tx.save(_claim(after), condition=ClaimModel.claim.does_not_exist())
        except TransactWriteError as exc:
            if not is_conditional_failure(exc):
                raise
            if after.unique_key != before.unique_key and ClaimModel.count(after.unique_key):
                raise Conflict(DUPLICATE.format(ext=after.account.extension,
                                                domain=after.account.domain)) from exc
            raise Conflict(CHANGED) from exc

    def remove(self, trunk: Trunk) -> None:
        """Delete the trunk and its claim, and unlink its agent in the same transaction (the
        link is stored on both items: adapters/dynamodb/agents.py). Conditioned on the agent
        link and the bindings_version `trunk` was read with: Conflict if either changed."""
        linked = TrunkModel.agent_id == trunk.agent_id if trunk.agent_id \
            else TrunkModel.agent_id.does_not_exist()
        unbound = same_version(TrunkModel.bindings_version, trunk.bindings_version)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(TrunkModel(trunk.trunk_id), condition=linked & unbound)
                tx.delete(_claim(trunk))
                if trunk.agent_id:
                    tx.update(AgentModel(trunk.agent_id), actions=[AgentModel.trunk_id.remove()],
                              condition=AgentModel.trunk_id == trunk.trunk_id)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise Conflict(CHANGED) from exc
            raise

    def record_registration(self, trunk_id: str, order: str, status: RegistrationStatus) -> bool:
        actions = _set_all(_status_attributes(status))
        actions.append(TrunkModel.reg_order.set(order))
        try:
            TrunkModel(trunk_id).update(
                actions=actions,
                condition=TrunkModel.trunk_id.exists() & (TrunkModel.reg_order < order),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True
