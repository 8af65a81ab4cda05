"""Calls: the record each call leaves, and its outcome in the words the admin sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CallOutcome(StrEnum):
    ANSWERED = "answered"                  # the agent talked to the caller, no transfer
    TRANSFERRED = "transferred"
    TRANSFER_FAILED = "transfer_failed"
    CALLER_HUNG_UP = "caller_hung_up"      # before the agent answered
    NO_ANSWER = "no_answer"                # the caller gave up / the PBX cancelled while ringing
    AGENT_NEVER_STARTED = "agent_never_started"
    NO_AGENT = "no_agent"
    BUSY = "busy"
    EDGE_FAILED = "edge_failed"            # the edge process serving it died during the call

    def label(self, transfer_target: str | None = None) -> str:
        if self is CallOutcome.TRANSFERRED and transfer_target:
            return f"Transferred to {transfer_target}"
        return _LABELS[self]


_LABELS = {
    CallOutcome.ANSWERED: "Answered by agent",
    CallOutcome.TRANSFERRED: "Transferred",
    CallOutcome.TRANSFER_FAILED: "Transfer failed",
    CallOutcome.CALLER_HUNG_UP: "Caller hung up",
    CallOutcome.NO_ANSWER: "No answer",
    CallOutcome.AGENT_NEVER_STARTED: "Reached us, agent never started",
    CallOutcome.NO_AGENT: "Rejected: no agent linked",
    CallOutcome.BUSY: "Busy",
    CallOutcome.EDGE_FAILED: "Cut off: our edge failed",
}


def extension_line(trunk_id: str) -> str:
    """The line of calls that reached the trunk's own AI extension.

    A line groups a trunk's calls by how they arrived, for the call list's filter (the calls
    table's `line-index`). Every call arrives on the extension today; when phone numbers can be
    bound to a trunk, a call to a bound DID goes on that number's line,
    `f"{trunk_id}#did:{e164}"`. Every line key starts with `f"{trunk_id}#"`.
    """
    return f"{trunk_id}#ext"


@dataclass(frozen=True)
class Party:
    number: str | None
    name: str | None = None


@dataclass(frozen=True)
class CallRecord:
    call_id: str             # the edge's id for the call (also the Media Streams callSid)
    tenant_id: str
    trunk_id: str
    extension: str           # the AI extension that was dialled
    caller: Party
    dialled: str | None      # the number/DID the caller dialled, when the PBX tells us
    agent_id: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    outcome: CallOutcome
    transfer_target: str | None = None   # "215 (Sarah Murphy)"
    sip_call_id: str | None = None

    @property
    def label(self) -> str:
        return self.outcome.label(self.transfer_target)

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - (self.answered_at or self.started_at)).total_seconds() \
            if self.answered_at else 0.0
