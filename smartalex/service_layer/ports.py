"""The storage ports the use cases need; adapters/ implements them on AWS, tests with fakes."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..domain.registration import RegistrationStatus
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
