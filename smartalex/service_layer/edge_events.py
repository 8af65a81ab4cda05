"""Handlers for what edges report through SQS; each is idempotent and order-safe.

A handler takes the message first and the ports it needs as keyword-only parameters; `handle`
routes by message type and passes exactly those ports, by name, from `bootstrap.Services`.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING

from ..domain.call import CallRecord, Party, extension_line
from ..domain.edge_addresses import EdgeAddresses
from ..domain.errors_log import ErrorRecord, ErrorSource
from ..domain.messages import CallEnded, Envelope, ErrorObserved, RegistrationObserved
from ..domain.pbx_types import preset
from ..domain.registration import (
    Problem,
    RegistrationState,
    RegistrationStatus,
    explain,
    retry_delay,
)
from .ports import (
    CallRecordRepository,
    ErrorRecordRepository,
    PhoneNumberRepository,
    TrunkRepository,
)

if TYPE_CHECKING:
    from ..bootstrap import Services

RETRYING_HINT = ("We keep retrying on our own (at least every 2 minutes); the trunk shows "
                 "Registered as soon as the PBX accepts.")
SLOW_RETRY_HINT = ("We try again in {minutes} minutes, then less often; click Re-register once "
                   "it is fixed to try at once.")
WAITING_HINT = ("We wait for you before trying again (retrying a wrong password can get our "
                "address blocked by the PBX): fix the cause, then click Re-register.")


def message_error_id(envelope: Envelope) -> str:
    """An error's id, derived from the message that reported it: a redelivery stores nothing
    new. (generation, fence, sequence) only grows per trunk, so it names one message."""
    return f"{envelope.edge}:{envelope.generation}:{envelope.fence}:{envelope.sequence}"


def record_registration(envelope: Envelope, *, trunks: TrunkRepository,
                        errors: ErrorRecordRepository,
                        edge_addresses: EdgeAddresses | None = None) -> bool:
    """Store what an edge saw; True if applied, False if stale or the trunk is gone.

    A status that newly reports a problem (Failed, or Connecting with no answer from the PBX)
    is also listed in Diagnostics, with the same words the trunk shows. It is stored after the
    status, so a stale or redelivered message never lists it; should storing it fail after the
    status was applied, the retried message is stale and Diagnostics misses that one entry
    (the trunk's own status still shows the problem).
    """
    observed: RegistrationObserved = envelope.payload
    trunk = trunks.find(envelope.trunk)
    if trunk is None or envelope.generation < trunk.generation:
        return False
    current = trunk.registration
    said = explain(observed.problem, observed.sip_code, observed.reason, trunk.account.target,
                   preset(trunk.pbx_type).words, edge_addresses)
    registered = observed.state is RegistrationState.REGISTERED
    status = RegistrationStatus(
        state=observed.state,
        error=None if registered else said,
        warning=said if registered else None,
        sip_code=observed.sip_code,
        since=current.since if current.state == observed.state and current.since else envelope.time,
        last_attempt_at=observed.attempt_at or current.last_attempt_at,
        expires_at=observed.expires_at if observed.state is RegistrationState.REGISTERED else None,
    )
    applied = trunks.record_registration(envelope.trunk, envelope.order, status)
    failing = status.state is RegistrationState.FAILED or status.warning is not None or (
        status.state is RegistrationState.CONNECTING and status.error is not None
        and observed.problem is not Problem.NO_EDGE)  # a hand-over is routine, not a problem
    changed = (status.state, status.error, status.warning) != \
        (current.state, current.error, current.warning)
    if applied and failing and changed:
        errors.add(ErrorRecord(
            error_id=message_error_id(envelope), tenant_id=trunk.tenant_id,
            trunk_id=trunk.trunk_id, source=ErrorSource.REGISTRATION,
            message=status.error or status.warning or "The PBX did not accept the registration.",
            hint=_registration_hint(observed), at=envelope.time,
        ))
    return applied


def _registration_hint(observed: RegistrationObserved) -> str | None:
    """What happens next, by the edge's retry policy (registration.retry_delay)."""
    if observed.problem is None or observed.state is RegistrationState.REGISTERED:
        return None
    delay = retry_delay(observed.problem, 1)
    if delay is None:
        return WAITING_HINT
    return SLOW_RETRY_HINT.format(minutes=round(delay / 60)) if delay > 120 else RETRYING_HINT


def record_call(envelope: Envelope, *, calls: CallRecordRepository,
                numbers: PhoneNumberRepository) -> bool:
    """Store the record of a finished call; False if it was stored already (redelivery).

    A call dialled through one of the trunk's bound numbers goes on that number's line (its
    Diagnostics), any other on the trunk's extension line. The bindings are read when the call
    names a dialled number at all; a number unbound since the call goes on the extension line.
    """
    ended: CallEnded = envelope.payload
    record = CallRecord(
        call_id=ended.call_id, tenant_id=envelope.tenant, trunk_id=envelope.trunk,
        extension=ended.extension, caller=Party(ended.caller.number, ended.caller.name),
        dialled=ended.dialled, agent_id=ended.agent_id, started_at=ended.started_at,
        answered_at=ended.answered_at, ended_at=ended.ended_at, outcome=ended.outcome,
        transfer_target=ended.transfer_target, sip_call_id=ended.sip_call_id,
    )
    bound = numbers.for_trunk(envelope.trunk) if ended.dialled else []
    line = next((n.line_key for n in bound if n.matches(ended.dialled)),
                extension_line(envelope.trunk))
    return calls.add(record, line)


def record_error(envelope: Envelope, *, errors: ErrorRecordRepository) -> bool:
    """List a problem an edge reported in Diagnostics; False if listed already (redelivery)."""
    observed: ErrorObserved = envelope.payload
    return errors.add(ErrorRecord(
        error_id=message_error_id(envelope), tenant_id=envelope.tenant, trunk_id=envelope.trunk,
        source=observed.source, message=observed.message, hint=observed.hint, at=observed.at,
        call_id=observed.call_id,
    ))


HANDLERS = {
    "registration.observed": record_registration,
    "call.ended": record_call,
    "error.observed": record_error,
}


def handle(envelope: Envelope, *, services: "Services") -> bool:
    """Route a message by type; an unknown type is a contract violation, not a no-op."""
    try:
        handler = HANDLERS[envelope.type]
    except KeyError:
        raise ValueError(f"unknown message type {envelope.type!r}") from None
    return handler(envelope, **{name: getattr(services, name) for name in _ports(handler)})


@functools.cache
def _ports(handler) -> tuple[str, ...]:
    """The ports a handler asks for: its keyword-only parameters (cosmicpython's injection)."""
    return tuple(p.name for p in inspect.signature(handler).parameters.values()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY)
