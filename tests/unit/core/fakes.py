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
