"""AgentRepository on DynamoDB, and the one-agent-per-trunk link.

The link is stored on both items (`AgentModel.trunk_id`, `TrunkModel.agent_id`). Every change
to it is one transaction computed from fresh reads and conditioned on exactly what was read, so
two concurrent links (or a link racing a delete) cannot leave the items pointing at different
partners: the loser's transaction is cancelled and retried on new reads. Items that point at
a partner which does not point back (a deleted trunk, say) are healed, not trusted.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ...domain.agent import Agent, AgentKind
from ...domain.errors import Conflict, NotFound
from ...domain.trunk import Trunk
from ...service_layer.ports import AgentRepository
from .conditions import is_conditional_failure, same_version, save_new
from .models import AgentModel, TrunkModel

ATTEMPTS = 4
BACKOFF = 0.05  # seconds, times the attempt number, at most
CHANGED = ("The agent or its trunk was changed by another request at the same time; reload "
           "and try again.")


def to_domain(item: AgentModel) -> Agent:
    return Agent(
        agent_id=item.agent_id, tenant_id=item.tenant_id, name=item.name,
        kind=AgentKind(item.kind), stream_url=item.stream_url, greeting=item.greeting,
        created_at=item.created_at, updated_at=item.updated_at, trunk_id=item.trunk_id,
        bindings_version=int(item.bindings_version or 0),
    )


def _is(attribute, value):
    """The condition "this attribute still holds what we read" (absent when we read None)."""
    return attribute == value if value is not None else attribute.does_not_exist()

def _lost_race(exc: TransactWriteError) -> bool:
    """Cancelled because what we read has changed, or another transaction held an item."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return is_conditional_failure(exc) or any(
        r is not None and r.code == "TransactionConflict" for r in reasons)


class DynamoAgentRepository(AgentRepository):
    def __init__(self, connection: Connection | None = None):
        self._connection = connection or Connection(region=AgentModel.Meta.region)

    def add(self, agent: Agent) -> None:
        item = AgentModel(
            agent.agent_id, tenant_id=agent.tenant_id, name=agent.name, kind=agent.kind.value,
            stream_url=agent.stream_url, greeting=agent.greeting, trunk_id=None,
            created_at=agent.created_at, updated_at=agent.updated_at,
        )
        if not save_new(item, AgentModel.agent_id.does_not_exist()):
            raise Conflict(f"An agent with id {agent.agent_id} already exists.")

    def get(self, tenant_id: str, agent_id: str) -> Agent:
        agent = self.find(agent_id)
        if agent is None or agent.tenant_id != tenant_id:
            raise NotFound(f"No agent {agent_id}.")
        return agent

    def find(self, agent_id: str) -> Agent | None:
        item = self._agent_item(agent_id)
        return to_domain(item) if item else None

    def list(self, tenant_id: str) -> list[Agent]:
        return [to_domain(i) for i in AgentModel.tenant_index.query(tenant_id)]

    def replace(self, before: Agent, after: Agent) -> None:
        """Write the settings (never the link) if nobody changed them since `before`; the linked
        trunk's `agent_version` bumps in the same transaction, so its edge re-reads them."""
        values = dict(name=after.name, kind=after.kind.value, stream_url=after.stream_url,
                      greeting=after.greeting, updated_at=after.updated_at)
        self._write(before, [getattr(AgentModel, k).set(v) if v is not None
                             else getattr(AgentModel, k).remove() for k, v in values.items()])

    def touch(self, agent: Agent, now: datetime) -> None:
        self._write(self.get(agent.tenant_id, agent.agent_id),
                    [AgentModel.updated_at.set(now)])

    def _write(self, before: Agent, actions: list) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(AgentModel(before.agent_id), actions=actions,
                          condition=AgentModel.agent_id.exists()
                          & (AgentModel.updated_at == before.updated_at)
                          & _is(AgentModel.trunk_id, before.trunk_id))
                if before.trunk_id:
                    tx.update(TrunkModel(before.trunk_id),
                              actions=[TrunkModel.agent_version.add(1)],
                              condition=TrunkModel.agent_id == before.agent_id)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise Conflict(CHANGED) from exc
            raise

    def remove(self, agent: Agent) -> None:
        """Delete the agent (and its link) unless a number was bound to it since `agent` was
        read (Conflict: the caller's check of its numbers is stale)."""
        def attempt() -> None:
            item = self._agent_item(agent.agent_id)
            if item is None:
                return
            if int(item.bindings_version or 0) != agent.bindings_version:
                raise Conflict(CHANGED)
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(AgentModel(item.agent_id), condition=AgentModel.agent_id.exists()
                          & _is(AgentModel.trunk_id, item.trunk_id)
                          & same_version(AgentModel.bindings_version, agent.bindings_version))
                if item.trunk_id:
                    self._release_trunk(tx, item.trunk_id, item.agent_id)

        self._retrying(attempt)

    def link(self, agent: Agent, trunk: Trunk) -> Agent:
        def attempt() -> Agent:
            a = self._agent_item(agent.agent_id)
            t = self._trunk_item(trunk.trunk_id)
            if a is None or a.tenant_id != agent.tenant_id:
                raise NotFound(f"No agent {agent.agent_id}.")
            if t is None or t.tenant_id != agent.tenant_id:
                raise NotFound(f"No trunk {trunk.trunk_id}.")
            if a.trunk_id == t.trunk_id and t.agent_id == a.agent_id:
                return to_domain(a)  # already linked: nothing to write
            with TransactWrite(connection=self._connection) as tx:
                tx.update(AgentModel(a.agent_id), actions=[AgentModel.trunk_id.set(t.trunk_id)],
                          condition=AgentModel.agent_id.exists()
                          & _is(AgentModel.trunk_id, a.trunk_id))
                tx.update(TrunkModel(t.trunk_id), actions=[TrunkModel.agent_id.set(a.agent_id)],
                          condition=TrunkModel.trunk_id.exists()
                          & _is(TrunkModel.agent_id, t.agent_id))
                if t.agent_id and t.agent_id != a.agent_id:  # the trunk's previous agent
                    self._release_agent(tx, t.agent_id, t.trunk_id)
                if a.trunk_id and a.trunk_id != t.trunk_id:  # the agent's previous trunk
                    self._release_trunk(tx, a.trunk_id, a.agent_id)
            return replace(to_domain(a), trunk_id=t.trunk_id)

        return self._retrying(attempt)

    def unlink(self, agent: Agent) -> Agent:
        def attempt() -> Agent:
            a = self._agent_item(agent.agent_id)
            if a is None or a.tenant_id != agent.tenant_id:
                raise NotFound(f"No agent {agent.agent_id}.")
            if a.trunk_id is None:
                return to_domain(a)
            with TransactWrite(connection=self._connection) as tx:
                tx.update(AgentModel(a.agent_id), actions=[AgentModel.trunk_id.remove()],
                          condition=AgentModel.trunk_id == a.trunk_id)
                self._release_trunk(tx, a.trunk_id, a.agent_id)
            return replace(to_domain(a), trunk_id=None)

        return self._retrying(attempt)

    def _release_trunk(self, tx: TransactWrite, trunk_id: str, agent_id: str) -> None:
        """In `tx`: make sure the trunk no longer names the agent, on what it holds now."""
        item = self._trunk_item(trunk_id)
        if item is None:  # deleted meanwhile; ids are never reused
            tx.condition_check(TrunkModel, trunk_id, condition=TrunkModel.trunk_id.does_not_exist())
        elif item.agent_id == agent_id:
            tx.update(TrunkModel(trunk_id), actions=[TrunkModel.agent_id.remove()],
                      condition=TrunkModel.agent_id == agent_id)
        else:
            tx.condition_check(TrunkModel, trunk_id, condition=_is(TrunkModel.agent_id,
                                                                   item.agent_id))

    def _release_agent(self, tx: TransactWrite, agent_id: str, trunk_id: str) -> None:
        """In `tx`: make sure the agent no longer names the trunk, on what it holds now."""
        item = self._agent_item(agent_id)
        if item is None:
            tx.condition_check(AgentModel, agent_id, condition=AgentModel.agent_id.does_not_exist())
        elif item.trunk_id == trunk_id:
            tx.update(AgentModel(agent_id), actions=[AgentModel.trunk_id.remove()],
                      condition=AgentModel.trunk_id == trunk_id)
        else:
            tx.condition_check(AgentModel, agent_id, condition=_is(AgentModel.trunk_id,
                                                                   item.trunk_id))

    def _retrying(self, attempt):
        """Run `attempt` (read, then one conditional transaction) until it wins a race; after a
        loss, wait a little (jittered, so that racers spread out) and read again."""
        for tries in range(1, ATTEMPTS + 1):
            try:
                return attempt()
            except TransactWriteError as exc:
                if not _lost_race(exc):
                    raise
            if tries < ATTEMPTS:
                time.sleep(random.uniform(0, BACKOFF * tries))
        raise Conflict(CHANGED)

    @staticmethod
    def _agent_item(agent_id: str) -> AgentModel | None:
        try:
            return AgentModel.get(agent_id, consistent_read=True)
        except DoesNotExist:
            return None

    @staticmethod
    def _trunk_item(trunk_id: str) -> TrunkModel | None:
        try:
            return TrunkModel.get(trunk_id, consistent_read=True)
        except DoesNotExist:
            return None
