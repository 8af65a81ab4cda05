"""Resource names. Environment variables are the only contract between the CDK stack and the
runtime: the stack sets them on every function and on the edge task; locally the defaults
`smartalex-<stage>-<resource>` apply."""

from __future__ import annotations

import os


def stage() -> str:
    return os.environ.get("SMARTALEX_STAGE", "local")


def resource(env_var: str, suffix: str) -> str:
    return os.environ.get(env_var) or f"smartalex-{stage()}-{suffix}"


def trunks_table() -> str:
    return resource("SMARTALEX_TRUNKS_TABLE", "trunks")


def edges_table() -> str:
    """The edges' own leases (adapters/dynamodb/models.py EdgeLeaseModel)."""
    return resource("SMARTALEX_EDGES_TABLE", "edges")


def claims_table() -> str:
    return resource("SMARTALEX_CLAIMS_TABLE", "claims")


def agents_table() -> str:
    return resource("SMARTALEX_AGENTS_TABLE", "agents")


def directory_table() -> str:
    return resource("SMARTALEX_DIRECTORY_TABLE", "directory")


def calls_table() -> str:
    return resource("SMARTALEX_CALLS_TABLE", "calls")


def errors_table() -> str:
    return resource("SMARTALEX_ERRORS_TABLE", "errors")


def phone_numbers_table() -> str:
    return resource("SMARTALEX_PHONE_NUMBERS_TABLE", "phone-numbers")


def settings_table() -> str:
    return resource("SMARTALEX_SETTINGS_TABLE", "settings")


def edge_events_queue() -> str:
    """Queue name; the URL is looked up once (SMARTALEX_EDGE_EVENTS_QUEUE_URL skips that)."""
    return resource("SMARTALEX_EDGE_EVENTS_QUEUE", "edge-events")


def secret_prefix() -> str:
    return os.environ.get("SMARTALEX_SECRET_PREFIX") or f"smartalex/{stage()}/trunks"


def vpc_cidrs() -> tuple[str, ...]:
    """Our own networks (SMARTALEX_VPC_CIDRS, comma-separated CIDRs): never a trunk's or an
    agent's address in a deployed stage (smartalex/domain/targets.py)."""
    raw = os.environ.get("SMARTALEX_VPC_CIDRS", "")
    return tuple(cidr.strip() for cidr in raw.split(",") if cidr.strip())


def edge_public_addresses() -> tuple[str, ...]:
    """The edges' public addresses, for PBX admins to allow (SMARTALEX_EDGE_PUBLIC_ADDRESSES,
    comma-separated: the Elastic IP pool, set by the CDK app; domain/edge_addresses.py)."""
    raw = os.environ.get("SMARTALEX_EDGE_PUBLIC_ADDRESSES", "")
    return tuple(address.strip() for address in raw.split(",") if address.strip())


# A stage's per-tenant quotas (smartalex/domain/quotas.py), by Quotas field; unset: the default.
QUOTA_VARIABLES = {
    "trunks": "SMARTALEX_QUOTA_TRUNKS",
    "agents": "SMARTALEX_QUOTA_AGENTS",
    "phone_numbers": "SMARTALEX_QUOTA_PHONE_NUMBERS",
    "directory_entries": "SMARTALEX_QUOTA_DIRECTORY_ENTRIES",
}


def quota_settings() -> dict[str, str]:
    return {name: os.environ[var] for name, var in QUOTA_VARIABLES.items() if os.environ.get(var)}


def secrets_kms_key() -> str | None:
    """The customer-managed KMS key for SIP secrets, when the stack provides one."""
    return os.environ.get("SMARTALEX_SECRETS_KMS_KEY_ID") or None
