"""Wire the core to its adapters. Runtimes call `bootstrap()`; tests pass fakes."""

from __future__ import annotations

from functools import cached_property
from importlib import import_module

from .service_layer.ports import (
    AgentRepository,
    AgentSecretStore,
    CallRecordRepository,
    DirectoryRepository,
    ErrorRecordRepository,
    PhoneNumberRepository,
    SecretStore,
    TenantSettingsRepository,
    TrunkRepository,
)
from .domain.edge_addresses import EdgeAddresses
from .domain.quotas import Quotas
from .domain.targets import TargetGuard


def _dynamodb(module: str, cls: str):
    return getattr(import_module(f".adapters.dynamodb.{module}", __package__), cls)()


class Services:
    """The ports the use cases need. Each is built on first use (imported lazily, so the domain
    stays importable without boto3) unless given to the constructor."""

    def __init__(self, **given):
        unknown = {name for name in given if not isinstance(
            getattr(type(self), name, None), cached_property)}
        if unknown:
            raise TypeError(f"unknown services: {sorted(unknown)}")
        self.__dict__.update({k: v for k, v in given.items() if v is not None})

    @cached_property
    def trunks(self) -> TrunkRepository:
        return _dynamodb("trunks", "DynamoTrunkRepository")

    @cached_property
    def secrets(self) -> SecretStore:
        from .adapters.secrets import SecretsManagerStore

        return SecretsManagerStore()

    @cached_property
    def agent_secrets(self) -> AgentSecretStore:
        from .adapters.secrets import SecretsManagerAgentSecrets

        return SecretsManagerAgentSecrets()

    @cached_property
    def targets(self) -> TargetGuard:
        """What trunk domains and agent URLs may point at, in this stage (SMARTALEX_STAGE)."""
        from .adapters import names
        from .domain.targets import policy_for_stage

        return TargetGuard(policy_for_stage(names.stage(), names.vpc_cidrs()))

    @cached_property
    def edge_addresses(self) -> EdgeAddresses:
        """Where the edges register and send media from (SMARTALEX_EDGE_PUBLIC_ADDRESSES;
        loopback on a machine-local stage)."""
        from .adapters import names
        from .domain.edge_addresses import for_stage
        from .domain.targets import MACHINE_LOCAL_STAGES

        return for_stage(names.stage() in MACHINE_LOCAL_STAGES, names.edge_public_addresses())

    @cached_property
    def quotas(self) -> Quotas:
        """This stage's per-tenant quotas (SMARTALEX_QUOTA_*; the defaults where unset)."""
        from .adapters import names

        return Quotas.from_settings(names.quota_settings())

    @cached_property
    def agents(self) -> AgentRepository:
        return _dynamodb("agents", "DynamoAgentRepository")

    @cached_property
    def directory(self) -> DirectoryRepository:
        return _dynamodb("directory", "DynamoDirectoryRepository")

    @cached_property
    def numbers(self) -> PhoneNumberRepository:
        return _dynamodb("numbers", "DynamoPhoneNumberRepository")

    @cached_property
    def calls(self) -> CallRecordRepository:
        return _dynamodb("calls", "DynamoCallRecordRepository")

    @cached_property
    def errors(self) -> ErrorRecordRepository:
        return _dynamodb("errors", "DynamoErrorRecordRepository")

    @cached_property
    def settings(self) -> TenantSettingsRepository:
        return _dynamodb("settings", "DynamoTenantSettingsRepository")


def bootstrap(**given) -> Services:
    return Services(**given)


_shared: Services | None = None


def shared() -> Services:
    """The process's services, built once (per Lambda container, so warm invocations reuse the
    DynamoDB connection and the AWS clients)."""
    global _shared
    if _shared is None:
        _shared = bootstrap()
    return _shared


def use_shared(replacement: Services | None) -> None:
    """Swap the process's services (tests); None rebuilds them on next use."""
    global _shared
    _shared = replacement
