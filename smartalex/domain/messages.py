"""The edge → control plane message contract (carried by SQS), defined once for both sides.

Every message is an `Envelope`. Handlers must be idempotent and order-safe: SQS may redeliver a
message or deliver two out of order, so each message carries an `order` that only grows for a
given trunk: (generation, lease fence, sequence). A message whose order is not greater than the
one already applied changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


# Grows into a discriminated union (Field(discriminator="type")) as call events are added.
MessagePayload = RegistrationObserved


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
