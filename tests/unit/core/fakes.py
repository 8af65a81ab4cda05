"""In-memory ports for the use cases, with the semantics of the AWS adapters.

`FakeTrunkRepository` mirrors `smartalex/adapters/dynamodb/trunks.py`: a uniqueness claim per
(tenant, domain, extension), another tenant's trunk reported as absent, an optimistic check on
generation + updated_at, and a stored order that only a strictly greater one may replace.
`FakeSecretStore` mirrors `smartalex/adapters/secrets.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from smartalex.domain.errors import Conflict, NotFound
from smartalex.domain.messages import order_key
from smartalex.domain.registration import RegistrationStatus
from smartalex.domain.trunk import PbxType, SipAccount, Transport, Trunk
from smartalex.service_layer.ports import SecretStore, TrunkRepository

# The DynamoDB adapter's wording; copied rather than imported so unit tests need no pynamodb.
DUPLICATE = "A trunk for extension {ext} on {domain} already exists."
CHANGED = "The trunk was changed by another request at the same time; reload and try again."


class FakeTrunkRepository(TrunkRepository):
    def __init__(self) -> None:
        self.trunks: dict[str, Trunk] = {}
        self.orders: dict[str, str] = {}
        self.claims: dict[str, str] = {}  # unique key -> trunk id

    def add(self, trunk: Trunk) -> None:
        if trunk.unique_key in self.claims or trunk.trunk_id in self.trunks:
            raise Conflict(DUPLICATE.format(ext=trunk.account.extension,
                                            domain=trunk.account.domain))
        self.trunks[trunk.trunk_id] = trunk
        self.claims[trunk.unique_key] = trunk.trunk_id
        self.orders[trunk.trunk_id] = order_key(trunk.generation, 0, 0)

    def get(self, tenant_id: str, trunk_id: str) -> Trunk:
        trunk = self.find(trunk_id)
        if trunk is None or trunk.tenant_id != tenant_id:
            raise NotFound(f"No trunk {trunk_id}.")
        return trunk

    def find(self, trunk_id: str) -> Trunk | None:
        return self.trunks.get(trunk_id)

    def list(self, tenant_id: str) -> list[Trunk]:
        return [t for t in self.trunks.values() if t.tenant_id == tenant_id]

    def replace(self, before: Trunk, after: Trunk) -> None:
        stored = self.trunks.get(before.trunk_id)
        unchanged = stored is not None and stored.generation == before.generation \
            and stored.updated_at == before.updated_at
        key_moves = after.unique_key != before.unique_key
        key_taken = key_moves and after.unique_key in self.claims
        if key_taken:
            raise Conflict(DUPLICATE.format(ext=after.account.extension,
                                            domain=after.account.domain))
        if not unchanged:
            raise Conflict(CHANGED)
        # Only the configuration is written; the lease belongs to the edges, and the status to
        # the edge-events handler unless the generation moves on.
        updated = replace(
            stored, pbx_type=after.pbx_type, account=after.account, label=after.label,
            generation=after.generation, updated_at=after.updated_at,
        )
        if after.generation != before.generation:
            updated = replace(updated, registration=after.registration)
            self.orders[after.trunk_id] = order_key(after.generation, 0, 0)
        if key_moves:
            del self.claims[before.unique_key]
            self.claims[after.unique_key] = after.trunk_id
        self.trunks[after.trunk_id] = updated

    def remove(self, trunk: Trunk) -> None:
        self.trunks.pop(trunk.trunk_id, None)
        self.orders.pop(trunk.trunk_id, None)
        self.claims.pop(trunk.unique_key, None)

    def record_registration(self, trunk_id: str, order: str, status: RegistrationStatus) -> bool:
        stored = self.trunks.get(trunk_id)
        if stored is None or not self.orders[trunk_id] < order:
            return False
        self.trunks[trunk_id] = replace(stored, registration=status)
        self.orders[trunk_id] = order
        return True


class FakeSecretStore(SecretStore):
    def __init__(self) -> None:
        self.passwords: dict[str, str] = {}

    def put(self, trunk_id: str, password: str) -> None:
        self.passwords[trunk_id] = password

    def get(self, trunk_id: str) -> str:
        try:
            return self.passwords[trunk_id]
        except KeyError:
            raise NotFound(f"No SIP password stored for trunk {trunk_id}.") from None

    def delete(self, trunk_id: str) -> None:
        self.passwords.pop(trunk_id, None)


class FakeClock:
    """A wall clock that moves only when told to (one second per call by default)."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(seconds=1)):
        self.now = start or datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def a_trunk(trunk_id: str = "trk_1", tenant_id: str = "tenant-a", *,
            domain: str = "pbx.example.com", extension: str = "1000", transport: Transport = Transport.UDP, port: int = 5060,
            generation: int = 1, at: datetime | None = None) -> Trunk:
    at = at or datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
    return Trunk(
        trunk_id=trunk_id, tenant_id=tenant_id, pbx_type=PbxType.ASTERISK,
        account=SipAccount(domain, extension, extension, transport, port),
        label=None, created_at=at, updated_at=at, generation=generation,
        registration=RegistrationStatus(since=at),
    )


# --- Agents, call records and error records (mirroring adapters/dynamodb/{agents,calls,errors}.py)

from smartalex.domain.agent import Agent, AgentKind  # noqa: E402
from smartalex.domain.call import CallRecord  # noqa: E402
from smartalex.domain.errors_log import ErrorRecord  # noqa: E402
from smartalex.service_layer.ports import (  # noqa: E402
    AgentRepository,
    CallRecordRepository,
    ErrorRecordRepository,
)


class FakeAgentRepository(AgentRepository):
    """The link lives on both sides, as in DynamoDB: `Agent.trunk_id` here and `Trunk.agent_id`
    in the FakeTrunkRepository shared with the test."""

    def __init__(self, trunks: FakeTrunkRepository) -> None:
        self.agents: dict[str, Agent] = {}
        self.trunks = trunks

    def add(self, agent: Agent) -> None:
        if agent.agent_id in self.agents:
            raise Conflict(f"An agent with id {agent.agent_id} already exists.")
        self.agents[agent.agent_id] = replace(agent, trunk_id=None)

    def get(self, tenant_id: str, agent_id: str) -> Agent:
        agent = self.find(agent_id)
        if agent is None or agent.tenant_id != tenant_id:
            raise NotFound(f"No agent {agent_id}.")
        return agent

    def find(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)

    def list(self, tenant_id: str) -> list[Agent]:
        return [a for a in self.agents.values() if a.tenant_id == tenant_id]

    def replace(self, before: Agent, after: Agent) -> None:
        stored = self.agents.get(before.agent_id)
        if stored is None or stored.updated_at != before.updated_at:
            raise Conflict("The agent was changed by another request at the same time.")
        self.agents[before.agent_id] = replace(after, trunk_id=stored.trunk_id)  # never the link
        if stored.trunk_id:  # as in DynamoDB: the linked trunk's edge is told
            trunk = self.trunks.trunks[stored.trunk_id]
            self.trunks.trunks[stored.trunk_id] = replace(trunk,
                                                          agent_version=trunk.agent_version + 1)

    def touch(self, agent: Agent, now: datetime) -> None:
        stored = self.agents[agent.agent_id]
        self.agents[agent.agent_id] = replace(stored, updated_at=now)
        if stored.trunk_id:
            trunk = self.trunks.trunks[stored.trunk_id]
            self.trunks.trunks[stored.trunk_id] = replace(trunk,
                                                          agent_version=trunk.agent_version + 1)

    def remove(self, agent: Agent) -> None:
        if agent.agent_id in self.agents:
            self.unlink(self.agents[agent.agent_id])
            del self.agents[agent.agent_id]

    def link(self, agent: Agent, trunk: Trunk) -> Agent:
        stored, target = self.agents.get(agent.agent_id), self.trunks.trunks.get(trunk.trunk_id)
        if stored is None:
            raise NotFound(f"No agent {agent.agent_id}.")
        if target is None:
            raise NotFound(f"No trunk {trunk.trunk_id}.")
        previous_agent = self.agents.get(target.agent_id or "")
        if previous_agent is not None and previous_agent.agent_id != stored.agent_id:
            self.agents[previous_agent.agent_id] = replace(previous_agent, trunk_id=None)
        previous_trunk = self.trunks.trunks.get(stored.trunk_id or "")
        if previous_trunk is not None and previous_trunk.trunk_id != target.trunk_id:
            self.trunks.trunks[previous_trunk.trunk_id] = replace(previous_trunk, agent_id=None)
        self.trunks.trunks[target.trunk_id] = replace(target, agent_id=stored.agent_id)
        self.agents[stored.agent_id] = replace(stored, trunk_id=target.trunk_id)
        return self.agents[stored.agent_id]

    def unlink(self, agent: Agent) -> Agent:
        stored = self.agents[agent.agent_id]
        trunk = self.trunks.trunks.get(stored.trunk_id or "")
        if trunk is not None and trunk.agent_id == stored.agent_id:
            self.trunks.trunks[trunk.trunk_id] = replace(trunk, agent_id=None)
        self.agents[stored.agent_id] = replace(stored, trunk_id=None)
        return self.agents[stored.agent_id]


class FakeCallRecordRepository(CallRecordRepository):
    """Keyed like the table: (trunk, started_at, call_id); a second add of a key stores nothing."""

    def __init__(self) -> None:
        self.records: dict[tuple, tuple[CallRecord, str]] = {}

    def add(self, record: CallRecord, line_key: str) -> bool:
        key = (record.trunk_id, record.started_at, record.call_id)
        if key in self.records:
            return False
        self.records[key] = (record, line_key)
        return True

    def recent(self, trunk_id: str, since: datetime, limit: int,
               line_key: str | None = None) -> list[CallRecord]:
        hits = [(k, r) for k, (r, line) in self.records.items()
                if k[0] == trunk_id and r.started_at >= since and line_key in (None, line)]
        return [r for _, r in sorted(hits, key=lambda hit: hit[0][1:], reverse=True)][:limit]


class FakeErrorRecordRepository(ErrorRecordRepository):
    """Keyed like the table: (trunk, at, error_id); a second add of a key stores nothing."""

    def __init__(self) -> None:
        self.records: dict[tuple, ErrorRecord] = {}

    def add(self, record: ErrorRecord) -> bool:
        key = (record.trunk_id, record.at, record.error_id)
        if key in self.records:
            return False
        self.records[key] = record
        return True

    def recent(self, trunk_id: str, since: datetime, limit: int) -> list[ErrorRecord]:
        hits = sorted((k, r) for k, r in self.records.items() if k[0] == trunk_id and r.at >= since)
        return [r for _, r in reversed(hits)][:limit]


def an_agent(agent_id: str = "agt_1", tenant_id: str = "tenant-a", *,
             kind: AgentKind = AgentKind.RECEPTIONIST, at: datetime | None = None) -> Agent:
    at = at or datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
    stream_url = "wss://agent.example.com/stream" if kind is AgentKind.MEDIA_STREAM else None
    return Agent(agent_id=agent_id, tenant_id=tenant_id, name="Reception", kind=kind,
                 stream_url=stream_url, greeting=None, created_at=at, updated_at=at)


# --- Phone numbers (mirroring adapters/dynamodb/numbers.py)

from smartalex.domain.dids import international  # noqa: E402
from smartalex.domain.phone_number import PhoneNumber  # noqa: E402
from smartalex.service_layer.ports import PhoneNumberRepository  # noqa: E402


class FakePhoneNumberRepository(PhoneNumberRepository):
    """A `did:<e164>` claim per number across all tenants; every add and remove bumps the trunk's
    `bindings_version` in the FakeTrunkRepository shared with the test, as the transaction does."""

    def __init__(self, trunks: FakeTrunkRepository | None = None) -> None:
        self.numbers: dict[str, PhoneNumber] = {}
        self.claims: dict[str, str] = {}  # unique key -> number id
        self.trunks = trunks or FakeTrunkRepository()

    def add(self, number: PhoneNumber) -> None:
        if number.unique_key in self.claims:
            raise Conflict(f"{international(number.e164)} is already bound")
        self.numbers[number.number_id] = number
        self.claims[number.unique_key] = number.number_id
        self._bump(number.trunk_id)

    def get(self, tenant_id: str, number_id: str) -> PhoneNumber:
        number = self.numbers.get(number_id)
        if number is None or number.tenant_id != tenant_id:
            raise NotFound(f"No phone number {number_id}.")
        return number

    def list(self, tenant_id: str) -> list[PhoneNumber]:
        return [n for n in self.numbers.values() if n.tenant_id == tenant_id]

    def for_trunk(self, trunk_id: str) -> list[PhoneNumber]:
        return [n for n in self.numbers.values() if n.trunk_id == trunk_id]

    def find_by_e164(self, e164: str) -> PhoneNumber | None:
        return self.numbers.get(self.claims.get(f"did:{e164}", ""))

    def remove(self, number: PhoneNumber) -> None:
        if self.numbers.pop(number.number_id, None) is None:
            raise NotFound(f"No phone number {number.number_id}.")
        self.claims.pop(number.unique_key, None)
        self._bump(number.trunk_id)

    def _bump(self, trunk_id: str) -> None:
        trunk = self.trunks.trunks.get(trunk_id)
        if trunk is not None:
            self.trunks.trunks[trunk_id] = replace(trunk,
                                                   bindings_version=trunk.bindings_version + 1)
