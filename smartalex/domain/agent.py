"""Agents: what answers a trunk's calls. One agent per trunk; a new link replaces the old one
and takes effect on the next call (calls in progress keep their agent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


# What the built-in receptionist says when the admin has not written a greeting (the API shows
# it as the agent's greeting; a PATCH with `"greeting": null` goes back to it). The one default:
# the edge sends it in `start`, and the receptionist says it (pre-rendered) when `start` has none.
DEFAULT_GREETING = ("Hello, thank you for calling. Who would you like to speak to? "
                    "You can also dial their extension number.")


class AgentKind(StrEnum):
    MEDIA_STREAM = "media_stream"  # an external agent reached over WebSocket at stream_url
    RECEPTIONIST = "receptionist"  # the built-in offline receptionist (agents/receptionist)


@dataclass(frozen=True)
class Agent:
    agent_id: str
    tenant_id: str
    name: str
    kind: AgentKind
    stream_url: str | None
    greeting: str | None
    created_at: datetime
    updated_at: datetime
    trunk_id: str | None = None  # the trunk it answers, if linked
    bindings_version: int = 0    # bumps when a phone number is bound to it

    @property
    def spoken_greeting(self) -> str | None:
        """What a receptionist says first; None for a media-stream agent (it speaks for itself)."""
        if self.kind is AgentKind.RECEPTIONIST:
            return self.greeting or DEFAULT_GREETING
        return None
