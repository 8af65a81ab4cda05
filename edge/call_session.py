"""One inbound call on the pjsua2 thread: answer, bridge to the agent, transfer, record.

The rules for what happened to a call (its outcome, its errors) live here; pjsua2 only comes
in through the thin `sip/call.py` and a few calls on the Call object.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import pjsua2 as pj
from aws_lambda_powertools import Logger

from smartalex.domain import agent_protocol as protocol
from smartalex.domain.call import CallOutcome
from smartalex.domain.directory import DirectoryEntry, Verdict
from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.matching import Matcher
from smartalex.domain.messages import CallEnded, ErrorObserved, PartyInfo
from smartalex.domain.sip import uri_host
from smartalex.domain.targets import ANYWHERE, TargetGuard

from .media.loop import LoopThread
from .media.port import MAX_QUEUED_SECONDS, AgentAudioPort
from .media.stream import MediaStream, StreamEvent
from .protocol import AgentLink
from .settings import MAX_SILENCE
from .sip.invite import InviteInfo

logger = Logger(service="edge-worker", child=True)

TRANSFER_TIMEOUT = 15.0
NO_AUDIO_AFTER = 5.0
# After the last queued frame was handed to pjmedia: time for it to reach the caller (RTP, the
# phone's jitter buffer) before the call is hung up.
PLAYOUT_TAIL = 0.3
INCOMING_REFER_HINT = ("The AI transfers callers itself (through the PBX's own rules) and never "
                       "follows a transfer request (REFER) sent to it, so it cannot be made to "
                       "dial on anyone's behalf. If the PBX sent it on purpose (a transfer "
                       "feature pointed at the AI's extension), use the PBX's own transfer "
                       "instead.")
REFER_REFUSED_HINT = ("The PBX refused the transfer: enable Allow transfer / REFER for this "
                      "extension on the PBX.")
NO_AUDIO_HINT = ("No audio arrived from the caller's side. Check that RTP ports 10000–20000 are "
                 "open both ways between the PBX and us, and that the PBX advertises its "
                 "external IP address behind NAT.")
SILENCE_HINT = ("The agent accepted the call but sent no audio while the caller was silent. An "
                "agent that is waiting for the caller should prompt them, or hang up.")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class TrunkContext:
    """What a call needs to know about the trunk it arrived on."""

    tenant_id: str
    trunk_id: str
    extension: str
    domain: str
    agent: AgentLink | None
    entries: tuple[DirectoryEntry, ...]
    matcher: Matcher


@dataclass
class CallSession:
    call: pj.Call | None
    trunk: TrunkContext
    invite: InviteInfo
    loop: LoopThread
    report: Callable[[object], None]          # CallEnded / ErrorObserved to the supervisor
    apology: Callable[[], bytes] | None = None
    targets: TargetGuard = ANYWHERE  # where the agent's stream may connect (deployed: public)
    max_silence: float = MAX_SILENCE  # 0: no limit
    call_id: str = field(default_factory=lambda: f"CA{uuid.uuid4().hex}")
    started_at: datetime = field(default_factory=utcnow)
    answered_at: datetime | None = None
    answered_mono: float | None = None
    agent_started: bool = False
    outcome: CallOutcome | None = None
    transfer_target: DirectoryEntry | None = None   # a transfer in progress
    transferred_to: DirectoryEntry | None = None    # the transfer that completed
    transfer_accepted: bool = False
    transfer_deadline: float | None = None
    hangup_at: float | None = None
    audio_checked: bool = False
    silence_ended: bool = False  # ended for silence (reported once)
    refer_refused: bool = False  # an incoming REFER was refused (reported once per call)
    unrecorded: bool = False  # refused as not the trunk's: leaves no call record
    ended: bool = False
    port: AgentAudioPort | None = None
    stream: MediaStream | None = None

    # --- set-up ---
    def answer(self) -> None:
        """Ring, connect the agent, answer with G.711."""
        self._respond(180)
        agent = self.trunk.agent
        self.port = AgentAudioPort(on_overflow=self._agent_audio_overflow)
        self.port.open(f"agent-{self.call_id[:12]}")
        self.stream = MediaStream(self.loop, agent.stream_url, self._start_message(),
                                  self.port, self.trunk.matcher, self.trunk.entries,
                                  targets=self.targets, signing_secret=agent.signing_secret)
        self.stream.open()
        self._respond(200)

    def reject(self, code: int, outcome: CallOutcome, source: ErrorSource, message: str,
               hint: str | None, reason: str = "") -> None:
        """Refuse the call; `reason` replaces the standard phrase in the PBX's SIP log."""
        self.outcome = outcome
        self.report_error(source, message, hint)
        self._respond(code, reason)

    def refuse_unrecorded(self, code: int) -> None:
        """Refuse a call that was never the trunk's (an outsider): no call record, no error."""
        self.unrecorded = True
        self._respond(code)

    def _start_message(self) -> protocol.Start:
        caller = self.invite.caller
        params = {"from_number": caller.number or "", "caller_name": caller.name or "",
                  "to_number": self.invite.dialled or self.trunk.extension,
                  "trunk_id": self.trunk.trunk_id, "extension": self.trunk.extension,
                  "did": self.invite.dialled or "", "agent_id": self.trunk.agent.agent_id}
        if self.trunk.agent.greeting:
            params["greeting"] = self.trunk.agent.greeting
        return protocol.Start(stream_sid=f"MZ{uuid.uuid4().hex}",
                              account_sid=self.trunk.tenant_id, call_sid=self.call_id,
                              custom_parameters=params)

    # --- pjsua2 callbacks (pjsua thread) ---
    def on_state(self, state: int, code: int, reason: str) -> None:
        if state == pj.PJSIP_INV_STATE_CONFIRMED and self.answered_at is None:
            self.answered_at, self.answered_mono = utcnow(), time.monotonic()
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._finish(code, reason)

    def on_media(self) -> None:
        info = self.call.getInfo()
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE \
                    and self.port is not None:
                audio = self.call.getAudioMedia(index)
                audio.startTransmit(self.port.media)
                self.port.media.startTransmit(audio)

    def on_dtmf(self, digit: str) -> None:
        if self.stream:
            self.stream.send(protocol.Dtmf(digit))

    def on_transfer_request(self) -> None:
        """The other side sent us a REFER, which sip/call.py has refused with 403."""
        logger.warning("incoming REFER refused", extra={"call_id": self.call_id})
        if not self.refer_refused:
            self.refer_refused = True
            self.report_error(ErrorSource.ROUTING, "A transfer request (REFER) sent to the AI "
                              "during this call was refused.", INCOMING_REFER_HINT)

    def on_transfer_status(self, code: int, reason: str, final: bool) -> bool:
        """REFER progress: 2xx final NOTIFY = done (hang up at once); ≥300 or refusal = failed."""
        if self.transfer_target is None:
            return False
        if not final:
            # The REFER was accepted (202, then NOTIFY 100/180): only that the PBX will try.
            if not self.transfer_accepted:
                self.transfer_accepted = True
                self._tell_transfer(protocol.TransferStatus.ACCEPTED, code, reason)
            return True
        if 200 <= code < 300:
            self.outcome = CallOutcome.TRANSFERRED
            self._tell_transfer(protocol.TransferStatus.COMPLETED, code, reason)
            # Asterisk keeps the transferor's leg up for 60 s after a transfer: end it now.
            self.hangup()
        else:
            self._transfer_failed(code, reason)
        return False

    # --- driven by the worker's pump loop ---
    def tick(self) -> None:
        if self.ended:
            return
        while self.stream is not None and not self.stream.events.empty():
            self._on_stream_event(self.stream.events.get())
        now = time.monotonic()
        if self.transfer_deadline is not None and now >= self.transfer_deadline:
            self._transfer_failed(408, "no final NOTIFY from the PBX within "
                                       f"{TRANSFER_TIMEOUT:.0f} s")
        if self.hangup_at is not None and now >= self.hangup_at:
            self.hangup_at = None
            self.hangup()
        if self.answered_mono and not self.audio_checked \
                and now - self.answered_mono >= NO_AUDIO_AFTER:
            self.audio_checked = True
            self._check_audio()
        self._check_silence(now)

    def _on_stream_event(self, event: StreamEvent) -> None:
        if event.kind == "started":
            self.agent_started = True
        elif event.kind == "failed":
            logger.warning("agent never started", extra={"call_id": self.call_id,
                                                         "why": event.detail})
            self.outcome = CallOutcome.AGENT_NEVER_STARTED
            self.report_error(ErrorSource.AGENT, f"The agent did not start: {event.detail}.",
                        "Check the agent's stream URL and that its server accepts WebSocket "
                        "connections from the edge.")
            self._apologise_and_hang_up()
        elif event.kind == "transfer":
            self._transfer(event.detail)
        elif event.kind in ("hangup", "closed"):
            # Both come once the agent's queued audio has played (media/stream.py).
            self._hang_up_soon(PLAYOUT_TAIL)

    # --- transfers ---
    def _transfer(self, target: str) -> None:
        resolution = self.trunk.matcher.resolve(target)
        if resolution.verdict is not Verdict.MATCH:
            self.stream.send(protocol.TransferOutcome(
                target=target, candidates=resolution.candidates,
                status=protocol.TransferStatus.AMBIGUOUS
                if resolution.verdict is Verdict.AMBIGUOUS else protocol.TransferStatus.NO_MATCH))
            return
        entry = next(e for e in self.trunk.entries if e.extension == resolution.match.extension)
        self.transfer_target, self.transfer_accepted = entry, False
        host = uri_host(self.trunk.domain)
        prm = pj.CallOpParam(True)
        referred_by = pj.SipHeader()
        referred_by.hName, referred_by.hValue = "Referred-By", \
            f"<sip:{self.trunk.extension}@{host}>"
        prm.txOption.headers.append(referred_by)
        try:
            self.call.xfer(f"<sip:{entry.extension}@{host}>", prm)
        except pj.Error as err:
            self._transfer_failed(500, err.reason or err.info())
            return
        self.transfer_deadline = time.monotonic() + TRANSFER_TIMEOUT
        logger.info("transfer requested", extra={"call_id": self.call_id,
                                                 "target": entry.extension})

    def _transfer_failed(self, code: int, reason: str) -> None:
        entry, self.transfer_target, self.transfer_deadline = self.transfer_target, None, None
        self.outcome = CallOutcome.TRANSFER_FAILED
        refused = code in (403, 405, 501, 603)
        self.report_error(ErrorSource.TRANSFER,
                    f"Transfer to {entry.label if entry else '?'} failed: {code} {reason}.",
                    REFER_REFUSED_HINT if refused else
                    "Check that the target extension exists and is registered on the PBX.")
        self._tell_transfer(protocol.TransferStatus.FAILED, code, reason, entry)

    def _tell_transfer(self, status: protocol.TransferStatus, code: int, reason: str,
                       entry: DirectoryEntry | None = None) -> None:
        entry = entry or self.transfer_target
        if self.stream:
            self.stream.send(protocol.TransferOutcome(
                target=entry.extension if entry else None, status=status,
                extension=entry.extension if entry else None,
                display_name=entry.display_name if entry else None,
                sip_code=code, reason=reason))
        if status is not protocol.TransferStatus.ACCEPTED:
            self.transfer_deadline = None
            if status is protocol.TransferStatus.COMPLETED:
                self.transferred_to = entry

    # --- media ---
    def _agent_audio_overflow(self) -> None:
        """Any thread (the agent's audio arrives on the loop thread): only a log line, once."""
        logger.warning("agent audio queue full; the excess is dropped", extra={
            "call_id": self.call_id, "max_seconds": MAX_QUEUED_SECONDS})

    def _check_audio(self) -> None:
        try:
            received = self.call.getStreamStat(0).rtcp.rxStat.pkt
        except pj.Error:
            return
        if received == 0:
            self.report_error(ErrorSource.MEDIA, "No audio (RTP) received within "
                        f"{NO_AUDIO_AFTER:.0f} s of answering.", NO_AUDIO_HINT)

    def _check_silence(self, now: float) -> None:
        """End a call where nobody has said anything for `max_silence` seconds (MAX_SILENCE)."""
        if not self.max_silence or not self.agent_started or self.hangup_at is not None \
                or self.silence_ended or self.port is None or self.stream is None:
            return
        last = max(self.stream.last_message_at, self.port.voiced_at or 0.0,
                   self.port.played_at or 0.0)
        if now - last >= self.max_silence:
            self.silence_ended = True
            self.report_error(ErrorSource.AGENT, f"Nobody spoke for {self.max_silence:.0f} s "
                              "(the agent sent nothing and the caller was silent), so the call "
                              "was ended.", SILENCE_HINT)
            self.hangup()

    def _apologise_and_hang_up(self) -> None:
        """The apology plays in full (it takes its place in the port's queue like an agent's
        goodbye, and the hang-up waits behind it), then the call ends."""
        audio = self.apology() if self.apology else b""
        if not audio or self.port is None:
            self.hangup()
            return
        self.port.clear()
        self.port.play(audio)
        self.port.cue(StreamEvent("hangup"))
        # If the media never starts (so the queue never plays), hang up anyway.
        self._hang_up_soon(len(audio) / 8000 + 3)

    def _hang_up_soon(self, seconds: float) -> None:
        at = time.monotonic() + seconds
        self.hangup_at = at if self.hangup_at is None else min(self.hangup_at, at)

    # --- the end ---
    def hangup(self) -> None:
        if self.ended:
            return
        try:
            self.call.hangup(pj.CallOpParam(True))
        except pj.Error:
            pass  # already disconnecting

    def _finish(self, code: int, reason: str) -> None:
        if self.ended:
            return
        self.ended = True
        if self.stream:
            self.stream.close()
        if self.outcome is None:
            if self.answered_at is None:
                self.outcome = CallOutcome.NO_ANSWER
            elif self.agent_started:
                self.outcome = CallOutcome.ANSWERED
            else:
                self.outcome = CallOutcome.CALLER_HUNG_UP
        if self.unrecorded:
            return
        target = self.transferred_to
        caller = self.invite.caller
        self.report(CallEnded(
            call_id=self.call_id, sip_call_id=self.invite.sip_call_id,
            extension=self.trunk.extension, caller=PartyInfo(number=caller.number,
                                                             name=caller.name),
            dialled=self.invite.dialled, agent_id=self.trunk.agent.agent_id
            if self.trunk.agent else None, started_at=self.started_at,
            answered_at=self.answered_at, ended_at=utcnow(), outcome=self.outcome,
            transfer_target=target.label if target and
            self.outcome is CallOutcome.TRANSFERRED else None))
        logger.info("call ended", extra={"call_id": self.call_id, "outcome": self.outcome.value,
                                         "sip_code": code})

    def release(self) -> None:
        """Drop every pjsua2 object of this call now, on the pjsua thread.

        pjsua2's Call destructor touches the call slot by id: run late (by the garbage
        collector, after the slot was reused or after libDestroy) it hangs up the wrong call or
        aborts the process. So the session breaks its reference cycles and lets go at once.
        """
        if self.port is not None:
            self.port.detach()
        if self.call is not None:
            self.call.session = None
        self.call = self.port = None

    def report_error(self, source: ErrorSource, message: str, hint: str | None) -> None:
        self.report(ErrorObserved(source=source, message=message, hint=hint,
                                  call_id=self.call_id, at=utcnow()))

    def _respond(self, code: int, reason: str = "") -> None:
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        prm.reason = reason
        try:
            self.call.answer(prm)
        except pj.Error as err:
            logger.warning("could not answer", extra={"call_id": self.call_id, "code": code,
                                                      "pj_error": err.info()})
