"""Agent commands: what an admin asks of agents, validated on construction.

Same base (and the same never-echo-the-input rule) as the trunk commands in `commands.py`.
Which fields apply depends on the kind: a media-stream agent needs `stream_url` and has no
greeting; the receptionist has an optional greeting (`agent.DEFAULT_GREETING` otherwise) and no
URL. A field sent for the wrong kind is rejected rather than silently ignored.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator

from . import sip
from .agent import AgentKind
from .commands import Command
from .errors import InvalidInput

MAX_NAME = 64
MAX_GREETING = 500
MAX_STREAM_URL = 2048
STREAM_SCHEMES = ("ws", "wss")
EXAMPLE_URL = "wss://agent.example.com/stream"
# Ids are `agt_`/`trk_` + hex; anything else is refused before it reaches DynamoDB.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

STREAM_URL_REQUIRED = "stream_url is required for a media_stream agent"
STREAM_URL_NOT_APPLICABLE = ("stream_url applies only to media_stream agents; the receptionist "
                             "runs inside SmartAlex")
GREETING_NOT_APPLICABLE = ("greeting applies only to receptionist agents; a media_stream agent "
                           "speaks for itself")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text)


def check_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValueError("is required")
    if len(name) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters")
    if _has_control(name):
        raise ValueError("must not contain control characters or line breaks")
    return name


def check_greeting(value: str | None) -> str | None:
    """A blank greeting means the default one."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > MAX_GREETING:
        raise ValueError(f"must be at most {MAX_GREETING} characters")
    if _has_control(text):
        raise ValueError("must not contain control characters or line breaks")
    return text or None


def check_stream_url(value: str) -> str:
    """A WebSocket URL with a host: `ws://` or `wss://`, at most 2048 characters, without
    credentials (the edge signs each handshake instead: agent_signature.py) or a fragment.
    Whether its host may be reached from this deployment is `targets.TargetGuard`'s call."""
    url = value.strip()
    if not url:
        raise ValueError("is required")
    if len(url) > MAX_STREAM_URL:
        raise ValueError(f"must be at most {MAX_STREAM_URL} characters")
    if any(ch.isspace() for ch in url) or _has_control(url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:
        raise ValueError(f"must be a WebSocket URL such as {EXAMPLE_URL}") from None
    if scheme not in STREAM_SCHEMES:
        raise ValueError("must be a WebSocket URL starting with ws:// or wss://, "
                         f"e.g. {EXAMPLE_URL}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password; the edge signs every "
                         "connection instead (docs/agent-protocol.md)")
    if parts.fragment or url.endswith("#"):
        raise ValueError("must not have a #fragment (WebSocket URLs have none)")
    try:
        sip.check_host(host or "")
        if parts.port == 0:  # urlsplit refuses the others outside 0-65535
            raise ValueError("port 0")
    except ValueError:
        raise ValueError(f"must name a valid host (and port, if any), e.g. {EXAMPLE_URL}") from None
    return url


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError("must be an id such as trk_0123456789abcdef0123")
    return value


class _AgentFields(Command):
    @field_validator("name", check_fields=False)
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value)

    @field_validator("stream_url", check_fields=False)
    @classmethod
    def _stream_url(cls, value: str | None) -> str | None:
        return None if value is None else check_stream_url(value)

    @field_validator("greeting", check_fields=False)
    @classmethod
    def _greeting(cls, value: str | None) -> str | None:
        return check_greeting(value)


class CreateAgent(_AgentFields):
    tenant_id: str
    name: str
    kind: AgentKind
    stream_url: str | None = None
    greeting: str | None = None

    @model_validator(mode="after")
    def _fields_of_the_kind(self) -> "CreateAgent":
        if self.kind is AgentKind.MEDIA_STREAM:
            if self.stream_url is None:
                raise InvalidInput(STREAM_URL_REQUIRED, field="stream_url")
            if self.greeting is not None:
                raise InvalidInput(GREETING_NOT_APPLICABLE, field="greeting")
        elif self.stream_url is not None:
            raise InvalidInput(STREAM_URL_NOT_APPLICABLE, field="stream_url")
        return self


class UpdateAgent(_AgentFields):
    """PATCH: only the fields present change; `null` is allowed only for `greeting` (back to
    the default). Whether the result fits the kind is checked against the stored agent
    (`service_layer.agents.update_agent`)."""

    tenant_id: str
    agent_id: str
    name: str | None = None
    kind: AgentKind | None = None
    stream_url: str | None = None
    greeting: str | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> "UpdateAgent":
        for name in sorted(self.model_fields_set - {"greeting", "tenant_id", "agent_id"}):
            if getattr(self, name) is None:
                raise InvalidInput(f"{name} cannot be null", field=name)
        return self

    def changes(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.model_fields_set - {"tenant_id", "agent_id"}}


class DeleteAgent(Command):
    tenant_id: str
    agent_id: str


class LinkAgent(Command):
    """Make the agent answer the trunk's calls (from the next call on)."""

    tenant_id: str
    agent_id: str
    trunk_id: str

    @field_validator("trunk_id")
    @classmethod
    def _trunk_id(cls, value: str) -> str:
        return check_id(value)


class UnlinkAgent(Command):
    tenant_id: str
    agent_id: str


class RotateSigningSecret(Command):
    """Replace the secret the edge signs the agent's handshakes with (agent_signature.py)."""

    tenant_id: str
    agent_id: str
