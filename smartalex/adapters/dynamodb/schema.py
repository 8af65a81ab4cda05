"""Table schemas derived from the pynamodb models, for the local bootstrap and the CDK stack."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.models import Model

from .models import MODELS


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: tuple[str, str]  # (attribute name, DynamoDB type letter)
    range_key: tuple[str, str] | None
    projection: str


@dataclass(frozen=True)
class TableSpec:
    model: str
    table_name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None


def _keys(key_schema: list[dict], types: dict[str, str]):
    by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    hash_name, range_name = by_type["HASH"], by_type.get("RANGE")
    return (hash_name, types[hash_name]), ((range_name, types[range_name]) if range_name else None)


def table_spec(model: type[Model]) -> TableSpec:
    schema = model._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    hash_key, range_key = _keys(schema["key_schema"], types)
    indexes = tuple(
        IndexSpec(gsi["index_name"], *_keys(gsi["key_schema"], types),
                  gsi["projection"]["ProjectionType"])
        for gsi in sorted(schema["global_secondary_indexes"], key=lambda g: g["index_name"])
    )
    ttl = model._ttl_attribute()
    return TableSpec(model.__name__, model.Meta.table_name, hash_key, range_key, indexes,
                     ttl.attr_name if ttl else None)


def table_specs() -> list[TableSpec]:
    return [table_spec(model) for model in MODELS]


def create_tables() -> list[str]:
    """Create every missing table (idempotent); return the names created. TTL is switched on
    where the store supports it (in AWS the CDK stack declares it; dynalite has none)."""
    created = []
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True, ignore_update_ttl_errors=True)
            created.append(model.Meta.table_name)
        if model._ttl_attribute():
            model.update_ttl(ignore_update_ttl_errors=True)
    return created
