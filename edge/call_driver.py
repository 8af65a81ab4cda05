"""What one inbound call does and how it ended, independent of pjsua2 (like RegistrationDriver).

edge/call_session.py feeds it what pjsua reports (the INVITE offered, a CANCEL and its Reason,
the dialog confirmed or gone, a REFER's NOTIFYs) and what the agent's stream asks for, ticks it
from the worker's pump loop, and carries out the actions it returns. The rules:

- Ring at once, answer after the trunk's `answer_delay_seconds` (0: at once). A PBX's ring group
  or queue rings the AI next to people; answering in milliseconds would take every call from
  them. A CANCEL while it rings ends the call unanswered.
- A CANCEL whose Reason says the call was completed elsewhere (RFC 3326 `SIP;cause=200`, or
  Q.850 cause 26 "non-selected user clearing", which some PBXs send instead) is
  `answered_elsewhere`, not an error. Any other CANCEL, or none with a Reason at all (a caller
  who gave up, a hunt group moving on), is `no_answer`.
- Once answered: the agent ending the call is `answered`; the caller's BYE is
  `caller_hung_up`; a transfer, an agent that never started, a refusal set their own outcome,
  which nothing later overrides.
- A transfer is done only when the REFER's final NOTIFY is 2xx (202 only means the PBX will
  try), then the AI's leg hangs up itself (Asterisk keeps it up for 60 s otherwise); a final
  NOTIFY >= 300, or none within TRANSFER_TIMEOUT, fails it and the caller stays with the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Iterable

from smartalex.domain.call import CallOutcome

from .sip.invite import Reason

TRANSFER_TIMEOUT = 15.0
# How often the audio counters are sampled once the call is answered (edge/audio_watch.py).
AUDIO_SAMPLE_EVERY = 1.0
# Q.850 cause 26: "non-selected user clearing" (answered by another phone of the group).
_Q850_ANSWERED_ELSEWHERE = 26


class Action(StrEnum):
    """What the session must do now."""

    ANSWER = "answer"                  # connect the agent and send 200
    HANG_UP = "hang_up"                # send BYE (or CANCEL our answer)
    SAMPLE_AUDIO = "sample_audio"      # read the RTP/RTCP counters (edge/audio_watch.py)
    TRANSFER_TIMED_OUT = "transfer_timed_out"


class Transfer(StrEnum):
    """What a REFER's progress means (on_transfer_status)."""

    ACCEPTED = "accepted"      # 202 / a provisional NOTIFY: the PBX will try (first time only)
    PROGRESS = "progress"      # a further provisional NOTIFY: nothing new
    COMPLETED = "completed"
    FAILED = "failed"
    IGNORED = "ignored"        # no transfer of ours in progress


def completed_elsewhere(reasons: Iterable[Reason]) -> bool:
    """RFC 3326: `Reason: SIP;cause=200;text="Call completed elsewhere"`, or its Q.850 twin."""
    return any((r.protocol == "SIP" and r.cause == 200)
               or (r.protocol == "Q.850" and r.cause == _Q850_ANSWERED_ELSEWHERE)
               for r in reasons)


@dataclass
class CallDriver:
    monotonic: Callable[[], float]
    answer_at: float | None = None
    answered_at: float | None = None       # the dialog was confirmed (monotonic)
    cancelled_elsewhere: bool = False
    outcome: CallOutcome | None = None     # set by a rule that decides it for good
    agent_started: bool = False
    hung_up_by_us: bool = False
    transferring: bool = False
    transfer_accepted: bool = False
    transfer_deadline: float | None = None
    hangup_at: float | None = None
    next_sample: float | None = None
    ended: bool = False

    # --- set-up ---
    def offered(self, answer_delay: float) -> list[Action]:
        """The INVITE was accepted for the agent (the session has rung): answer now or later."""
        if answer_delay <= 0:
            return [Action.ANSWER]
        self.answer_at = self.monotonic() + answer_delay
        return []

    def refused(self, outcome: CallOutcome) -> None:
        self.outcome = outcome

    def cancelled(self, reasons: Iterable[Reason]) -> None:
        """A CANCEL arrived while the call rang (pjsua answers it 200 and the INVITE 487)."""
        self.answer_at = None
        self.cancelled_elsewhere = completed_elsewhere(reasons)

    def confirmed(self) -> None:
        if self.answered_at is None:
            self.answered_at = self.monotonic()
            self.next_sample = self.answered_at + AUDIO_SAMPLE_EVERY

    # --- the agent ---
    def agent_ready(self) -> None:
        self.agent_started = True

    def agent_failed(self) -> None:
        self.outcome = CallOutcome.AGENT_NEVER_STARTED

    def hang_up_in(self, seconds: float) -> None:
        """Hang up `seconds` from now (a goodbye or apology still playing), or sooner if an
        earlier hang-up was already due."""
        at = self.monotonic() + seconds
        self.hangup_at = at if self.hangup_at is None else min(self.hangup_at, at)

    def hanging_up(self) -> None:
        """We (the agent, a transfer, a drain) are ending the call, not the caller."""
        self.hung_up_by_us = True

    def cut_off(self) -> None:
        """The edge is stopping and cannot wait for the call any longer: the call ends because
        of us (outcome EDGE_STOPPED), unless its outcome was already decided (a transfer that
        completed or failed, an agent that never started)."""
        if self.outcome is None:
            self.outcome = CallOutcome.EDGE_STOPPED
        self.hanging_up()

    # --- transfers ---
    def transfer_started(self) -> None:
        self.transferring, self.transfer_accepted = True, False
        self.transfer_deadline = self.monotonic() + TRANSFER_TIMEOUT

    def transfer_status(self, code: int, final: bool) -> Transfer:
        if not self.transferring:
            return Transfer.IGNORED
        if not final:
            if self.transfer_accepted:
                return Transfer.PROGRESS
            self.transfer_accepted = True
            return Transfer.ACCEPTED
        self.transferring, self.transfer_deadline = False, None
        if 200 <= code < 300:
            self.outcome = CallOutcome.TRANSFERRED
            self.hanging_up()
            return Transfer.COMPLETED
        self.outcome = CallOutcome.TRANSFER_FAILED
        return Transfer.FAILED

    def transfer_failed(self) -> None:
        """The REFER could not even be sent, or timed out."""
        self.transferring, self.transfer_deadline = False, None
        self.outcome = CallOutcome.TRANSFER_FAILED

    # --- time ---
    def tick(self) -> list[Action]:
        if self.ended:
            return []
        now, actions = self.monotonic(), []
        if self.answer_at is not None and now >= self.answer_at:
            self.answer_at = None
            actions.append(Action.ANSWER)
        if self.transfer_deadline is not None and now >= self.transfer_deadline:
            self.transfer_failed()
            actions.append(Action.TRANSFER_TIMED_OUT)
        if self.hangup_at is not None and now >= self.hangup_at:
            self.hangup_at = None
            self.hanging_up()
            actions.append(Action.HANG_UP)
        if self.next_sample is not None and now >= self.next_sample:
            self.next_sample = now + AUDIO_SAMPLE_EVERY
            actions.append(Action.SAMPLE_AUDIO)
        return actions

    # --- the end ---
    def disconnected(self) -> CallOutcome:
        """The dialog is over: the outcome, decided once."""
        self.ended = True
        self.answer_at = self.hangup_at = self.transfer_deadline = None
        if self.outcome is None:
            self.outcome = self._outcome()
        return self.outcome

    def _outcome(self) -> CallOutcome:
        if self.answered_at is None:
            return CallOutcome.ANSWERED_ELSEWHERE if self.cancelled_elsewhere \
                else CallOutcome.NO_ANSWER
        if self.hung_up_by_us:
            return CallOutcome.ANSWERED
        return CallOutcome.CALLER_HUNG_UP
