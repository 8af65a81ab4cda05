"""Wire the core to its adapters. Runtimes call `bootstrap()`; tests pass fakes."""

from __future__ import annotations

from dataclasses import dataclass

from .service_layer.ports import SecretStore, TrunkRepository


@dataclass(frozen=True)
class Services:
    trunks: TrunkRepository
    secrets: SecretStore


def bootstrap(trunks: TrunkRepository | None = None, secrets: SecretStore | None = None) -> Services:
    """Build the production adapters for whatever is not given (imported lazily, so the
    domain stays importable without boto3)."""
    if trunks is None:
        from .adapters.dynamodb.trunks import DynamoTrunkRepository

        trunks = DynamoTrunkRepository()
    if secrets is None:
        from .adapters.secrets import SecretsManagerStore

        secrets = SecretsManagerStore()
    return Services(trunks=trunks, secrets=secrets)
