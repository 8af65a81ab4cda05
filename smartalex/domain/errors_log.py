"""Error records: phone-related problems kept for Diagnostics (7 days), each with a hint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ErrorSource(StrEnum):
    REGISTRATION = "registration"
    TRANSFER = "transfer"
    AGENT = "agent"
    ROUTING = "routing"     # e.g. no agent linked
    CAPACITY = "capacity"   # calls rejected because the worker was full
    MEDIA = "media"         # e.g. no RTP received
    QUEUE = "queue"         # a message that could not be processed
    EDGE = "edge"           # our SIP edge itself, e.g. a call cut when it shut down


@dataclass(frozen=True)
class ErrorRecord:
    error_id: str
    tenant_id: str
    trunk_id: str
    source: ErrorSource
    message: str
    hint: str | None
    at: datetime
    call_id: str | None = None
