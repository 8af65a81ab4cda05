"""The storage ports the use cases need; adapters/ implements them on AWS, tests with fakes."""

from __future__ import annotations

from abc import ABC, abstractmethod

from datetime import datetime

from ..domain.agent import Agent
from ..domain.call import CallRecord
from ..domain.directory import DirectoryEntry
from ..domain.errors_log import ErrorRecord
from ..domain.phone_number import PhoneNumber
from ..domain.registration import RegistrationStatus
from ..domain.assignment import FleetRoom
from ..domain.tenant_settings import TenantSettings
from ..domain.trunk import Trunk


class TrunkRepository(ABC):
    @abstractmethod
    def add(self, trunk: Trunk) -> None:
        """Store a new trunk; raise Conflict if its unique key is taken."""

    @abstractmethod
    def get(self, tenant_id: str, trunk_id: str) -> Trunk:
        """Raise NotFound if absent or owned by another tenant."""

    @abstractmethod
    def list(self, tenant_id: str) -> list[Trunk]: ...

    def fleet_room(self) -> FleetRoom | None:
        """How much room the live edges have: what a trunk no edge holds is waiting for
        (registration.as_shown). None when this store cannot tell."""
        return None

    @abstractmethod
    def replace(self, before: Trunk, after: Trunk) -> None:
        """Store `after` if the stored trunk is still at `before.generation`/`updated_at`.

        Raise Conflict if the new unique key is taken or the trunk changed meanwhile. When
        `after.generation` is higher, the registration status is reset to `after.registration`.
        """

    @abstractmethod
    def remove(self, trunk: Trunk) -> None: ...

    @abstractmethod
    def find(self, trunk_id: str) -> Trunk | None:
        """Any tenant's trunk by id, for handlers driven by the edge (not by a tenant)."""

    @abstractmethod
    def record_registration(self, trunk_id: str, order: str, status: RegistrationStatus) -> bool:
        """Apply a status if `order` is newer than the last applied one; False if stale."""


class SecretStore(ABC):
    """SIP passwords, kept out of DynamoDB; named after the trunk id."""

    @abstractmethod
    def put(self, trunk_id: str, password: str) -> None:
        """Store or overwrite a trunk's SIP password."""

    @abstractmethod
    def get(self, trunk_id: str) -> str:
        """Raise NotFound if the trunk has no stored password."""

    @abstractmethod
    def delete(self, trunk_id: str) -> None: ...


class AgentSecretStore(ABC):
    """Agents' handshake signing secrets (domain/agent_signature.py), kept out of DynamoDB;
    named after the agent id. The API creates, rotates and deletes them; the edge reads them
    to sign the handshakes it opens."""

    @abstractmethod
    def put(self, agent_id: str, secret: str) -> None:
        """Store or overwrite an agent's signing secret."""

    @abstractmethod
    def get(self, agent_id: str) -> str:
        """Raise NotFound if the agent has no stored secret (agents made before signing)."""

    @abstractmethod
    def delete(self, agent_id: str) -> None: ...


class AgentRepository(ABC):
    """Agents, and the one-agent-per-trunk link (stored on both the agent and the trunk)."""

    @abstractmethod
    def add(self, agent: Agent) -> None: ...

    @abstractmethod
    def get(self, tenant_id: str, agent_id: str) -> Agent:
        """Raise NotFound if absent or owned by another tenant."""

    @abstractmethod
    def find(self, agent_id: str) -> Agent | None:
        """Any tenant's agent by id (for the edge)."""

    @abstractmethod
    def list(self, tenant_id: str) -> list[Agent]: ...

    @abstractmethod
    def replace(self, before: Agent, after: Agent) -> None: ...

    @abstractmethod
    def touch(self, agent: Agent, now: datetime) -> None:
        """Something the edge reads about the agent changed outside its item (its signing
        secret): set `updated_at` and tell the linked trunk's edge (`agent_version`)."""

    @abstractmethod
    def remove(self, agent: Agent) -> None:
        """Delete the agent and unlink it from its trunk."""

    @abstractmethod
    def link(self, agent: Agent, trunk: Trunk) -> Agent:
        """Make `agent` the trunk's only agent, in one transaction: the trunk's previous agent
        and the agent's previous trunk are unlinked. Returns the updated agent."""

    @abstractmethod
    def unlink(self, agent: Agent) -> Agent: ...


class DirectoryRepository(ABC):
    """A trunk's directory entries; every write bumps the trunk's `directory_version` in the
    same transaction so edges refresh their cached copy."""

    @abstractmethod
    def list(self, trunk_id: str) -> list[DirectoryEntry]: ...

    @abstractmethod
    def put(self, tenant_id: str, trunk_id: str, entry: DirectoryEntry, *, create: bool) -> None:
        """create=True: Conflict if the extension is already listed. create=False: upsert."""

    @abstractmethod
    def delete(self, trunk_id: str, extension: str) -> None:
        """NotFound if not listed."""

    @abstractmethod
    def remove_all(self, trunk_id: str) -> None:
        """Delete every entry of a trunk that was deleted (no version to bump: it is gone)."""


class PhoneNumberRepository(ABC):
    """DID bindings; each write bumps the trunk's `bindings_version` in the same transaction."""

    @abstractmethod
    def add(self, number: PhoneNumber) -> None:
        """Conflict if the DID is bound already (by any tenant)."""

    @abstractmethod
    def get(self, tenant_id: str, number_id: str) -> PhoneNumber:
        """NotFound if absent or another tenant's."""

    @abstractmethod
    def list(self, tenant_id: str) -> list[PhoneNumber]: ...

    @abstractmethod
    def for_trunk(self, trunk_id: str) -> list[PhoneNumber]: ...

    @abstractmethod
    def find_by_e164(self, e164: str) -> PhoneNumber | None: ...

    @abstractmethod
    def remove(self, number: PhoneNumber) -> None: ...


class CallRecordRepository(ABC):
    @abstractmethod
    def add(self, record: CallRecord, line_key: str) -> bool:
        """Store a call once (idempotent on call_id); False if it was already stored."""

    @abstractmethod
    def recent(self, trunk_id: str, since: datetime, limit: int,
               line_key: str | None = None) -> list[CallRecord]:
        """Newest first, started at or after `since`; one bounded query."""


class ErrorRecordRepository(ABC):
    @abstractmethod
    def add(self, record: ErrorRecord) -> bool:
        """Store an error once (idempotent on error_id)."""

    @abstractmethod
    def recent(self, trunk_id: str, since: datetime, limit: int) -> list[ErrorRecord]: ...


class TenantSettingsRepository(ABC):
    @abstractmethod
    def get(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings; the defaults (updated_at None) if never set."""

    @abstractmethod
    def put(self, settings: TenantSettings) -> None: ...
