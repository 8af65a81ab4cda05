"""Phone-number commands: bind a public number (DID) to a trunk's AI extension, unbind it.

Same base (and the same never-echo-the-input rule) as the trunk commands in `commands.py`. The
DID is normalised to E.164 on construction, so `BindPbxExtension.did` is always "+…" (a national
format is read in `country`, else in the tenant's default country, which the caller passes as
validation context: `model_validate(body, context={"default_country": "IE"})`); whether the
trunk, its extension and the agent fit is checked against storage by
`service_layer.numbers.bind_pbx_extension`.
"""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from . import dids, sip
from .agent_commands import check_id
from .commands import Command, _check_label

MAX_EXTENSION = 32


class BindPbxExtension(Command):
    """Calls to `did` that the PBX sends to the AI extension go to `agent_id`."""

    tenant_id: str
    trunk_id: str = Field(description="A register-mode trunk of yours "
                                      "(GET /v1/trunks?mode=register)")
    extension: str = Field(description="The extension the trunk registers as")
    agent_id: str = Field(description="The agent answering calls to this number")
    did: str = Field(description="The public number, e.g. +353 87 123 4567; a national format "
                                 "such as 087 123 4567 is read in `country`, else in the "
                                 "tenant's default_country (GET /v1/settings)")
    label: str | None = Field(default=None, description="Free text up to 64 characters")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code, e.g. IE: "
                                                          "how to read a national-format did "
                                                          "(overrides default_country)")

    @field_validator("trunk_id", "agent_id")
    @classmethod
    def _ids(cls, value: str) -> str:
        return check_id(value)

    @field_validator("extension")
    @classmethod
    def _extension(cls, value: str) -> str:
        return sip.check_user_part(value, MAX_EXTENSION)

    @field_validator("did")
    @classmethod
    def _did(cls, value: str) -> str:
        return dids.check_did_text(value)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _check_label(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else dids.check_country(value)

    @model_validator(mode="after")
    def _normalise(self, info: ValidationInfo) -> "BindPbxExtension":
        default = (info.context or {}).get("default_country")
        self.did = dids.normalise(self.did, self.country or default)
        return self


class UnbindNumber(Command):
    tenant_id: str
    number_id: str
