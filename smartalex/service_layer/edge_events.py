"""Handlers for what edges report through SQS; each is idempotent and order-safe."""

from __future__ import annotations

from ..domain.messages import Envelope, RegistrationObserved
from ..domain.registration import RegistrationState, RegistrationStatus, explain
from .ports import TrunkRepository


def record_registration(envelope: Envelope, *, trunks: TrunkRepository) -> bool:
    """Store what an edge saw; True if applied, False if stale or the trunk is gone."""
    observed: RegistrationObserved = envelope.payload
    trunk = trunks.find(envelope.trunk)
    if trunk is None or envelope.generation < trunk.generation:
        return False
    current = trunk.registration
    status = RegistrationStatus(
        state=observed.state,
        error=explain(observed.problem, observed.sip_code, observed.reason, trunk.account.target),
        sip_code=observed.sip_code,
        since=current.since if current.state == observed.state and current.since else envelope.time,
        last_attempt_at=observed.attempt_at or current.last_attempt_at,
        expires_at=observed.expires_at if observed.state is RegistrationState.REGISTERED else None,
    )
    return trunks.record_registration(envelope.trunk, envelope.order, status)


HANDLERS = {
    "registration.observed": record_registration,
}


def handle(envelope: Envelope, *, trunks: TrunkRepository) -> bool:
    """Route a message by type; an unknown type is a contract violation, not a no-op."""
    try:
        handler = HANDLERS[envelope.type]
    except KeyError:
        raise ValueError(f"unknown message type {envelope.type!r}") from None
    return handler(envelope, trunks=trunks)
