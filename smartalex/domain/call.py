"""Calls: the record each call leaves, and its outcome in the words the admin sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CallOutcome(StrEnum):
    """How a call ended, decided by the edge (edge/call_driver.py) from what the SIP dialog and
    the agent did. Each has one label, in `OUTCOMES`."""

    ANSWERED = "answered"
    CALLER_HUNG_UP = "caller_hung_up"
    TRANSFERRED = "transferred"
    TRANSFER_FAILED = "transfer_failed"
    NO_ANSWER = "no_answer"
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    AGENT_NEVER_STARTED = "agent_never_started"
    NO_AGENT = "no_agent"
    BUSY = "busy"
    EDGE_FAILED = "edge_failed"            # the edge process serving it died during the call

    def label(self, transfer_target: str | None = None) -> str:
        if self is CallOutcome.TRANSFERRED and transfer_target:
            return f"Transferred to {transfer_target}"
        return OUTCOMES[self].label

    @property
    def problem(self) -> bool:
        """Something for the admin to look at (also reported in Diagnostics' errors)."""
        return OUTCOMES[self].problem


@dataclass(frozen=True)
class OutcomeInfo:
    label: str      # what the admin reads in Diagnostics
    meaning: str    # when the edge records it (docs/agents.md lists these)
    problem: bool = False


OUTCOMES = {
    CallOutcome.ANSWERED: OutcomeInfo(
        "Answered by agent", "The agent answered and ended the call itself (no transfer)."),
    CallOutcome.CALLER_HUNG_UP: OutcomeInfo(
        "Caller hung up", "The agent answered; the caller (or the PBX) hung up."),
    CallOutcome.TRANSFERRED: OutcomeInfo(
        "Transferred", "The agent transferred the caller and the PBX confirmed it (the final "
        "NOTIFY of the REFER was 2xx)."),
    CallOutcome.TRANSFER_FAILED: OutcomeInfo(
        "Transfer failed", "A transfer the agent asked for was refused or got no final answer; "
        "the caller stayed with the agent.", problem=True),
    CallOutcome.NO_ANSWER: OutcomeInfo(
        "No answer", "The call was cancelled while it rang (answer_delay_seconds): the caller "
        "gave up, or the PBX moved on (a hunt group's next member, a queue's next round)."),
    CallOutcome.ANSWERED_ELSEWHERE: OutcomeInfo(
        "Answered elsewhere", "The PBX cancelled the call while it rang because another phone "
        "of the ring group or queue answered it (CANCEL with Reason cause 200)."),
    CallOutcome.AGENT_NEVER_STARTED: OutcomeInfo(
        "Reached us, agent never started", "Answered, but the agent's stream could not be "
        "started; the caller heard an apology.", problem=True),
    CallOutcome.NO_AGENT: OutcomeInfo(
        "Rejected: no agent linked", "Refused with 480: no agent is linked to the trunk (or "
        "to the number dialled).", problem=True),
    CallOutcome.BUSY: OutcomeInfo(
        "Busy", "Refused with 486: the AI extension (or its edge) was at its call capacity, "
        "or the edge was handing the trunk over.", problem=True),
    CallOutcome.EDGE_FAILED: OutcomeInfo(
        "Cut off: our edge failed", "The edge process serving the call stopped during it: the "
        "edge hung up for the caller and lists it so (docs/assignments.md).", problem=True),
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
