"""What the phone-number and Diagnostics routes answer (render.py's conventions: the models
render the responses and document them in openapi.py)."""

from __future__ import annotations

from chalice import Response
from pydantic import BaseModel, Field

from smartalex.domain.call import CallOutcome
from smartalex.domain.diagnostics import (
    CALLS_SHOWN,
    ERRORS_SHOWN,
    WINDOW,
    Assignment,
    CallRow,
    Credentials,
    Diagnostics,
    ErrorRow,
)
from smartalex.domain.dids import international
from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.number_routing import NumberRouting
from smartalex.domain.registration import RegistrationState

from .render import Timestamp

WINDOW_HOURS = int(WINDOW.total_seconds() // 3600)


class PhoneNumberView(BaseModel):
    id: str
    e164: str = Field(description="The number in E.164, e.g. +353871234567")
    display: str = Field(description="The number as people write it, e.g. +353 87 123 4567")
    label: str | None
    trunk_id: str
    extension: str = Field(description="The AI extension calls to the number reach")
    agent_id: str
    agent_name: str | None = Field(description="null if the agent was deleted since")
    routing: str = Field(description="How calls to the number route, in words")
    created_at: Timestamp

    @classmethod
    def of(cls, routing: NumberRouting) -> "PhoneNumberView":
        n = routing.number
        return cls(id=n.number_id, e164=n.e164, display=routing.display, label=n.label,
                   trunk_id=n.trunk_id, extension=n.extension, agent_id=n.agent_id,
                   agent_name=routing.agent.name if routing.agent else None,
                   routing=routing.description, created_at=n.created_at)


class PhoneNumberList(BaseModel):
    phone_numbers: list[PhoneNumberView]  # oldest first


class AssignmentHealthView(BaseModel):
    held: bool = Field(description="An edge holds an unexpired lease on the trunk")
    edge: str | None
    since: Timestamp | None = Field(description="When that edge took the trunk")

    @classmethod
    def of(cls, assignment: Assignment) -> "AssignmentHealthView":
        return cls(held=assignment.held, edge=assignment.edge, since=assignment.since)


class RegistrationHealthView(BaseModel):
    state: RegistrationState
    label: str
    error: str | None
    warning: str | None  # registered, but other devices are registered as the extension too
    sip_code: int | None
    since: Timestamp | None


class HealthView(BaseModel):
    assignment: AssignmentHealthView
    registration: RegistrationHealthView | None = Field(
        description="null when the number's trunk was deleted")
    credentials_valid: Credentials = Field(
        description="yes while registered (an edge holds the trunk and the registration has "
                    "not run out); no when the last failure was 401/407")
    last_call_at: Timestamp | None = Field(
        description="When the newest call on this line (the number's, or any of the trunk's) "
                    "arrived, within the 30 days calls are kept")


class CallerView(BaseModel):
    number: str | None
    name: str | None


class DiagnosticsCallView(BaseModel):
    started_at: Timestamp
    caller: CallerView
    duration_seconds: int = Field(description="From answer to hang-up; 0 if never answered")
    outcome: CallOutcome
    label: str = Field(description="The outcome in words, e.g. Transferred to 215 (Sarah Murphy)")
    problem: bool = Field(description="The outcome is something for the admin to look at (the "
                                      "call also has an entry in the errors); docs/agents.md "
                                      "lists which outcomes are")
    transfer_target: str | None
    count: int = Field(description="Identical unanswered calls in a row (e.g. a burst refused "
                                   "Busy) shown as this one row: the newest, and the oldest's "
                                   "`first_started_at`; 1 for a single call")
    first_started_at: Timestamp

    @classmethod
    def of(cls, row: CallRow) -> "DiagnosticsCallView":
        call = row.record
        return cls(started_at=call.started_at,
                   caller=CallerView(number=call.caller.number, name=call.caller.name),
                   duration_seconds=round(call.duration_seconds), outcome=call.outcome,
                   label=call.label, problem=call.outcome.problem,
                   transfer_target=call.transfer_target, count=row.count,
                   first_started_at=row.first_at or call.started_at)


class DiagnosticsErrorView(BaseModel):
    at: Timestamp
    source: ErrorSource
    message: str
    hint: str | None
    count: int = Field(description="The same error (source, message, hint) in a row, shown as "
                                   "this one row: the newest, and the oldest's `first_at`")
    first_at: Timestamp

    @classmethod
    def of(cls, row: ErrorRow) -> "DiagnosticsErrorView":
        error = row.record
        return cls(at=error.at, source=error.source, message=error.message, hint=error.hint,
                   count=row.count, first_at=row.first_at or error.at)


class DiagnosticsView(BaseModel):
    trunk_id: str
    number_id: str | None = Field(description="null in a trunk's Diagnostics")
    e164: str | None
    display: str | None
    calls_of: str = Field(description="`number`: calls dialled through the number; `trunk`: "
                                      "every call the trunk received")
    health: HealthView
    calls: list[DiagnosticsCallView] = Field(
        description=f"The last {CALLS_SHOWN} rows of calls of the last {WINDOW_HOURS} h, newest "
                    "first; identical unanswered calls in a row are one row with a count")
    errors: list[DiagnosticsErrorView] = Field(
        description=f"The last {ERRORS_SHOWN} rows of phone-related errors of the trunk in the "
                    f"last {WINDOW_HOURS} h, newest first; the same error in a row is one row "
                    "with a count")
    window_start: Timestamp
    generated_at: Timestamp

    @classmethod
    def of(cls, d: Diagnostics) -> "DiagnosticsView":
        h, status = d.health, d.health.registration
        registration = None if status is None else RegistrationHealthView(
            state=status.state, label=h.registration_label, error=status.error,
            warning=status.warning, sip_code=status.sip_code, since=status.since)
        return cls(
            trunk_id=d.trunk_id, number_id=d.number.number_id if d.number else None,
            e164=d.number.e164 if d.number else None,
            display=international(d.number.e164) if d.number else None,
            calls_of="number" if d.number else "trunk",
            health=HealthView(assignment=AssignmentHealthView.of(h.assignment),
                              registration=registration, credentials_valid=h.credentials,
                              last_call_at=h.last_call_at),
            calls=[DiagnosticsCallView.of(c) for c in d.calls],
            errors=[DiagnosticsErrorView.of(e) for e in d.errors],
            window_start=d.window_start, generated_at=d.generated_at,
        )


def number(routing: NumberRouting, status: int = 200) -> Response:
    return Response(body=PhoneNumberView.of(routing).model_dump(mode="json"), status_code=status)


def numbers(items: list[NumberRouting]) -> Response:
    body = PhoneNumberList(phone_numbers=[PhoneNumberView.of(r) for r in items])
    return Response(body=body.model_dump(mode="json"), status_code=200)


def diagnostics(d: Diagnostics) -> Response:
    return Response(body=DiagnosticsView.of(d).model_dump(mode="json"), status_code=200)
