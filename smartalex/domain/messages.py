"""The edge → control plane message contract (carried by SQS), defined once for both sides.

Every message is an `Envelope`. Handlers must be idempotent and order-safe: SQS may redeliver a
message or deliver two out of order, so each message carries an `order` that only grows for a
given trunk: (generation, lease fence, sequence). A message whose order is not greater than the
one already applied changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .call import CallOutcome
from .errors_log import ErrorSource
from .registration import Problem, RegistrationState

CONTRACT_VERSION = 1


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationObserved(Payload):
    """The edge saw the registration of a trunk change (or an attempt start)."""

    type: Literal["registration.observed"] = "registration.observed"
    state: RegistrationState
    problem: Problem | None = None
    sip_code: int | None = None
    reason: str = ""
    attempt_at: datetime | None = None
    expires_at: datetime | None = None


class PartyInfo(Payload):
    number: str | None = None
    name: str | None = None


class CallEnded(Payload):
    """One call is over: everything its record needs, sent once by the edge."""

    type: Literal["call.ended"] = "call.ended"
    call_id: str = Field(min_length=1, max_length=128)
    sip_call_id: str | None = None
    extension: str
    caller: PartyInfo
    dialled: str | None = None
    agent_id: str | None = None
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    outcome: CallOutcome
    transfer_target: str | None = None


class ErrorObserved(Payload):
    """Something phone-related went wrong that the admin should see in Diagnostics."""

    type: Literal["error.observed"] = "error.observed"
    source: ErrorSource
    message: str = Field(min_length=1, max_length=1000)
    hint: str | None = Field(default=None, max_length=1000)
    call_id: str | None = None
    at: datetime


MessagePayload = Annotated[RegistrationObserved | CallEnded | ErrorObserved,
                           Field(discriminator="type")]


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str
    version: Literal[1] = CONTRACT_VERSION
    edge: str = Field(min_length=1)
    tenant: str = Field(min_length=1)
    trunk: str = Field(min_length=1)
    generation: int = Field(ge=0)
    fence: int = Field(ge=0)
    sequence: int = Field(ge=0)
    time: datetime
    payload: MessagePayload

    @property
    def order(self) -> str:
        return order_key(self.generation, self.fence, self.sequence)

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, body: str) -> "Envelope":
        return cls.model_validate_json(body)


def order_key(generation: int, fence: int, sequence: int) -> str:
    """A string that sorts like the tuple, so DynamoDB can compare it in a condition."""
    return f"{generation:012d}.{fence:012d}.{sequence:012d}"


def wrap(payload: MessagePayload, *, edge: str, tenant: str, trunk: str, generation: int,
         fence: int, sequence: int, time: datetime | None = None) -> Envelope:
    return Envelope(
        type=payload.type, edge=edge, tenant=tenant, trunk=trunk, generation=generation,
        fence=fence, sequence=sequence, time=time or datetime.now(timezone.utc), payload=payload,
    )
