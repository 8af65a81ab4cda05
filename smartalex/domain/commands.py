"""Commands: what an admin asks the control plane to do, validated on construction.

pydantic does the field checks; the SIP syntax rules live in `sip.py`. Passwords are
`SecretStr` so that no repr, log line or validation error can print them.
"""

from __future__ import annotations

from typing import Annotated

import unicodedata

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from . import sip
from .errors import InvalidInput
from .trunk import PbxType, Transport

MAX_PASSWORD = 128


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    @model_validator(mode="wrap")
    @classmethod
    def _never_echo_input(cls, data, handler):
        # hide_input_in_errors hides the input only in str(); errors()/json() still carry it,
        # and a missing field's "input" is the whole body, password included.
        try:
            return handler(data)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(exc.title, [
                {"type": e["type"], "loc": e["loc"], "input": None,
                 **({"ctx": e["ctx"]} if "ctx" in e else {})}
                for e in exc.errors(include_url=False)
            ], hide_input=True) from None


def _check_password(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if not raw:
        raise ValueError("is required")
    if len(raw) > MAX_PASSWORD:
        raise ValueError(f"must be at most {MAX_PASSWORD} characters")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in raw):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _check_label(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > 64:
        raise ValueError("must be at most 64 characters")
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        raise ValueError("must not contain control characters or line breaks")
    return value or None


Port = Annotated[int, Field(ge=1, le=65535, strict=True)]
MAX_ANSWER_DELAY = 60
ANSWER_DELAY = ("Seconds the AI lets a call ring before it answers (0-60, default 0: at once). "
                "In a ring group or queue that also rings people, a few seconds let them answer "
                "first; when one does, the PBX cancels the AI's call and Diagnostics lists it as "
                "Answered elsewhere. Applies from the next call; nothing re-registers.")
AnswerDelay = Annotated[int, Field(ge=0, le=MAX_ANSWER_DELAY, strict=True,
                                   description=ANSWER_DELAY)]
TLS_VERIFY = ("TLS only: check the PBX's certificate against public certificate authorities "
              "and its name against `domain` (default true). false accepts a self-signed PBX "
              "certificate: still encrypted, but not protected against an impostor.")


OUTBOUND_PROXY = ("Send every request (REGISTER, calls, transfers) through this SIP proxy "
                  "instead of straight to `domain`: `host` or `host:port` (hosted PBXs often "
                  "need their edge proxy). Without a port it is looked up like a registrar "
                  "(SRV, then A). Same rules as `domain`; default null (none).")
PBX_SOURCES = ("Extra addresses or networks (CIDR) the PBX sends calls from, besides the "
               "address its domain resolves to, e.g. a PBX cluster's other nodes (default "
               "empty: only the registrar may call the AI). At most 16, none wider than /16 "
               "(IPv4) or /48 (IPv6).")


class _TrunkFields(Command):
    @field_validator("pbx_source_addresses", check_fields=False)
    @classmethod
    def _sources(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(sip.check_source_networks(value))

    @field_validator("domain", check_fields=False)
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return None if value is None else sip.check_host(value)

    @field_validator("extension", check_fields=False)
    @classmethod
    def _extension(cls, value: str | None) -> str | None:
        return None if value is None else sip.check_user_part(value, 32)

    @field_validator("username", check_fields=False)
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return None if value is None else sip.check_user_part(value, 128)

    @field_validator("password", check_fields=False)
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _check_password(value)

    @field_validator("outbound_proxy", check_fields=False)
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        return None if value is None else sip.check_proxy(value)

    @field_validator("label", check_fields=False)
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return _check_label(value)


class CreateTrunk(_TrunkFields):
    tenant_id: str
    pbx_type: PbxType
    domain: str
    extension: str
    username: str | None = None
    password: SecretStr
    transport: Annotated[Transport | None, Field(description=(
        "udp, tcp or tls; default: the PBX type's (GET /v1/pbx-types)"))] = None
    port: Annotated[Port | None, Field(description=(
        "default: looked up as RFC 3263 says (SRV records of `domain` for the transport), "
        "else the PBX type's port"))] = None
    tls_verify: Annotated[bool, Field(strict=True, description=TLS_VERIFY)] = True
    pbx_source_addresses: Annotated[list[str], Field(description=PBX_SOURCES)] = []
    outbound_proxy: Annotated[str | None, Field(description=OUTBOUND_PROXY)] = None
    answer_delay_seconds: AnswerDelay = 0
    label: str | None = None
    _explicit_port: bool = PrivateAttr(default=True)

    @property
    def explicit_port(self) -> bool:
        """A port was given (else the edge looks up SRV records first)."""
        return self._explicit_port

    @model_validator(mode="after")
    def _defaults(self) -> "CreateTrunk":
        # username defaults to the extension (on 3CX they differ: the admin then sets it);
        # transport and port to the PBX type's (pbx_types.py), or, for another transport than
        # the type's, to that transport's well-known port.
        from .pbx_types import preset

        pbx = preset(self.pbx_type)
        if self.username is None:
            self.username = self.extension
        if self.transport is None:
            self.transport = pbx.transport
        self._explicit_port = self.port is not None
        if self.port is None:
            self.port = pbx.port if self.transport is pbx.transport else \
                self.transport.default_port
        return self


class UpdateTrunk(_TrunkFields):
    """PATCH: only the fields present change; `null` is allowed only for `label`."""

    tenant_id: str
    trunk_id: str
    pbx_type: PbxType | None = None
    domain: str | None = None
    extension: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    transport: Transport | None = None
    port: Port | None = None
    tls_verify: Annotated[bool | None, Field(strict=True, description=TLS_VERIFY)] = None
    pbx_source_addresses: Annotated[list[str] | None, Field(description=PBX_SOURCES)] = None
    outbound_proxy: Annotated[str | None, Field(description=OUTBOUND_PROXY +
                                                " null removes it.")] = None
    answer_delay_seconds: AnswerDelay | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "UpdateTrunk":
        nullable = {"label", "outbound_proxy", "tenant_id", "trunk_id"}
        for name in sorted(self.model_fields_set - nullable):
            if getattr(self, name) is None:
                raise InvalidInput(f"{name} cannot be null", field=name)
        return self

    def changes(self) -> dict[str, object]:
        changes = {k: getattr(self, k) for k in self.model_fields_set - {"tenant_id", "trunk_id"}}
        if "pbx_source_addresses" in changes:
            changes["pbx_source_addresses"] = tuple(changes["pbx_source_addresses"])
        return changes


class DeleteTrunk(Command):
    tenant_id: str
    trunk_id: str


class ReregisterTrunk(Command):
    tenant_id: str
    trunk_id: str
