"""What the settings routes answer (render.py's conventions: the models render the responses and
document them in openapi.py)."""

from __future__ import annotations

from chalice import Response
from pydantic import BaseModel, Field

from smartalex.domain.tenant_settings import TenantSettings

from .render import Timestamp


class SettingsView(BaseModel):
    default_country: str | None = Field(
        description="How national-format phone numbers are read when no `country` is given "
                    "(ISO 3166-1 alpha-2, e.g. IE); null: numbers must be international")
    updated_at: Timestamp | None = Field(description="null until the settings are first set")


def settings(value: TenantSettings) -> Response:
    body = SettingsView(default_country=value.default_country, updated_at=value.updated_at)
    return Response(body=body.model_dump(mode="json"), status_code=200)
