"""A tenant's settings: defaults that apply to everything the tenant configures.

Today that is `default_country`: how a public number typed in national format ("087 123 4567")
is read when binding it, so admins of a one-country office need not name the country each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field, field_validator

from . import dids
from .commands import Command


@dataclass(frozen=True)
class TenantSettings:
    tenant_id: str
    default_country: str | None = None
    updated_at: datetime | None = None  # None: never set, the defaults apply


class UpdateTenantSettings(Command):
    """Replace the tenant's settings; a field given as null goes back to its default."""

    tenant_id: str
    default_country: str | None = Field(
        description="ISO 3166-1 alpha-2 code, e.g. IE: how national-format numbers (087 123 "
                    "4567) are read when no `country` is given; null: none, numbers must then "
                    "be international (+353 87 123 4567) or come with `country`")

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else dids.check_country(value)
