"""One inbound call on the pjsua2 thread: the pjsua2 and agent-stream plumbing around its
CallDriver (edge/call_driver.py), which holds the rules (when to answer, what a CANCEL means,
the outcome, a transfer's end). pjsua2 comes in through the thin `sip/call.py` and a few calls
on the Call object; this module carries out what the driver decides and reports it.
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
from smartalex.domain.edge_addresses import RTP_PORT_FIRST, RTP_PORT_LAST
from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.matching import Matcher
from smartalex.domain.messages import CallEnded, ErrorObserved, PartyInfo
from smartalex.domain.sip import uri_host
from smartalex.domain.targets import ANYWHERE, TargetGuard

from .audio_watch import NO_AUDIO_AFTER, STOPPED_AFTER, AudioProblem, AudioWatch, Sample
from .call_driver import TRANSFER_TIMEOUT, Action, CallDriver, Transfer
from .media.loop import LoopThread
from .media.port import MAX_QUEUED_SECONDS, AgentAudioPort
from .media.stream import MediaStream, StreamEvent
from .protocol import AgentLink
from .settings import MAX_SILENCE
from .sip.invite import InviteInfo, reasons

logger = Logger(service="edge-worker", child=True)

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
NO_AUDIO_HINT = ("No audio arrived from the caller's side. Check that UDP ports "
                 f"{RTP_PORT_FIRST}–{RTP_PORT_LAST} (RTP) are open both ways between the PBX "
                 "and our addresses (listed on the trunk), and that the PBX advertises its "
                 "external IP address behind NAT.")
NOT_REACHING_HINT = ("The PBX's own audio reaches us. Check that the PBX, and any firewall in "
                     "front of it, accepts UDP from our addresses (listed on the trunk) to its "
                     "RTP ports, and that it listens for media on the address its SDP names.")
STOPPED_HINT = ("A NAT or firewall between the PBX and us may close the media flow before the "
                "call ends (a UDP timeout shorter than a call), or the PBX moved the media "
                "elsewhere without telling us (direct media). If the PBX or its phones use "
                "silence suppression (VAD), long gaps are normal: turn it off for this "
                "extension.")
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
    answer_delay: float = 0.0  # the trunk's answer_delay_seconds


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
    driver: CallDriver = field(default_factory=lambda: CallDriver(monotonic=time.monotonic))
    transfer_target: DirectoryEntry | None = None   # a transfer in progress
    transferred_to: DirectoryEntry | None = None    # the transfer that completed
    silence_ended: bool = False  # ended for silence (reported once)
    audio: AudioWatch | None = None  # set at the first sample after the answer
    on_hold: bool = False  # the PBX put the call on hold (no audio is expected)
    refer_refused: bool = False  # an incoming REFER was refused (reported once per call)
    unrecorded: bool = False  # refused as not the trunk's: leaves no call record
    ended: bool = False
    port: AgentAudioPort | None = None
    stream: MediaStream | None = None

    @property
    def outcome(self) -> CallOutcome | None:
        return self.driver.outcome

    # --- set-up ---
    def offer(self) -> None:
        """Ring at once; answer now or after the trunk's answer delay (CallDriver.offered)."""
        self._respond(180)
        self._act(self.driver.offered(self.trunk.answer_delay))

    def _answer(self) -> None:
        """Connect the agent, answer with G.711."""
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
        self.driver.refused(outcome)
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
            self.answered_at = utcnow()
            self.driver.confirmed()
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._finish(code, reason)

    def on_media(self) -> None:
        info = self.call.getInfo()
        self.on_hold = any(m.type == pj.PJMEDIA_TYPE_AUDIO
                           and m.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD for m in info.media)
        for index, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE \
                    and self.port is not None:
                audio = self.call.getAudioMedia(index)
                audio.startTransmit(self.port.media)
                self.port.media.startTransmit(audio)

    def on_cancel(self, message: str) -> None:
        """The PBX cancelled the call while it rang; its Reason says why (or nothing)."""
        found = reasons(message)
        self.driver.cancelled(found)
        logger.info("call cancelled while ringing", extra={
            "call_id": self.call_id,
            "reason": [f"{r.protocol};cause={r.cause}" for r in found]})

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
        """REFER progress (CallDriver.transfer_status); True: keep reporting NOTIFYs."""
        result = self.driver.transfer_status(code, final)
        if result is Transfer.ACCEPTED:
            self._tell_transfer(protocol.TransferStatus.ACCEPTED, code, reason)
        elif result is Transfer.COMPLETED:
            self._tell_transfer(protocol.TransferStatus.COMPLETED, code, reason)
            # Asterisk keeps the transferor's leg up for 60 s after a transfer: end it now.
            self.hangup()
        elif result is Transfer.FAILED:
            self._transfer_failed(code, reason)
        return result in (Transfer.ACCEPTED, Transfer.PROGRESS)

    # --- driven by the worker's pump loop ---
    def tick(self) -> None:
        if self.ended:
            return
        while self.stream is not None and not self.stream.events.empty():
            self._on_stream_event(self.stream.events.get())
        self._act(self.driver.tick())
        self._check_silence(time.monotonic())

    def _act(self, actions: list[Action]) -> None:
        for action in actions:
            if action is Action.ANSWER:
                self._answer()
            elif action is Action.TRANSFER_TIMED_OUT:
                self._transfer_failed(408, "no final NOTIFY from the PBX within "
                                           f"{TRANSFER_TIMEOUT:.0f} s")
            elif action is Action.HANG_UP:
                self.hangup()
            elif action is Action.SAMPLE_AUDIO:
                self._sample_audio()

    def _on_stream_event(self, event: StreamEvent) -> None:
        if event.kind == "started":
            self.driver.agent_ready()
        elif event.kind == "failed":
            logger.warning("agent never started", extra={"call_id": self.call_id,
                                                         "why": event.detail})
            self.driver.agent_failed()
            self.report_error(ErrorSource.AGENT, f"The agent did not start: {event.detail}.",
                        "Check the agent's stream URL and that its server accepts WebSocket "
                        "connections from the edge.")
            self._apologise_and_hang_up()
        elif event.kind == "transfer":
            self._transfer(event.detail)
        elif event.kind in ("hangup", "closed"):
            # Both come once the agent's queued audio has played (media/stream.py).
            self.driver.hang_up_in(PLAYOUT_TAIL)

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
        self.transfer_target = entry
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
        self.driver.transfer_started()
        logger.info("transfer requested", extra={"call_id": self.call_id,
                                                 "target": entry.extension})

    def _transfer_failed(self, code: int, reason: str) -> None:
        entry, self.transfer_target = self.transfer_target, None
        self.driver.transfer_failed()
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
        if status is protocol.TransferStatus.COMPLETED:
            self.transferred_to = entry

    # --- media ---
    def _agent_audio_overflow(self) -> None:
        """Any thread (the agent's audio arrives on the loop thread): only a log line, once."""
        logger.warning("agent audio queue full; the excess is dropped", extra={
            "call_id": self.call_id, "max_seconds": MAX_QUEUED_SECONDS})

    def _sample_audio(self) -> None:
        """Feed the call's RTP/RTCP counters to its AudioWatch; report what it finds."""
        if self.audio is None:
            self.audio = AudioWatch(answered_at=self.driver.answered_at or time.monotonic())
        try:
            rtcp = self.call.getStreamStat(0).rtcp
        except pj.Error:
            return
        # pjmedia's txStat takes any report block for one about us (a peer that got nothing
        # sends one about SSRC 0, counting nothing lost): the media source filter reads only
        # the blocks that name our SSRC (edge/sip/native/media_source_filter.hpp).
        reports = pj.receiverReports(self.call.getId())
        sample = Sample(rx_packets=rtcp.rxStat.pkt, tx_packets=rtcp.txStat.pkt,
                        rtcp_heard=bool(rtcp.peerSdes.cname),
                        reports=reports.aboutUs, reported_lost=reports.lost,
                        on_hold=self.on_hold)
        for problem in self.audio.sample(time.monotonic(), sample):
            if problem is AudioProblem.NONE_IN:
                self.report_error(ErrorSource.MEDIA, "No audio (RTP) received within "
                                  f"{NO_AUDIO_AFTER:.0f} s of answering.", NO_AUDIO_HINT)
            elif problem is AudioProblem.NONE_OUT:
                self.report_error(ErrorSource.MEDIA, "Our audio is not reaching the PBX: its "
                                  "RTCP reports say it receives nothing (or little) of what "
                                  "the AI sends, so the caller hears silence.", NOT_REACHING_HINT)
            elif problem is AudioProblem.STOPPED:
                self.report_error(ErrorSource.MEDIA, "Audio from the PBX stopped "
                                  f"{self.audio.stopped_after:.0f} s into the call (no RTP for "
                                  f"{STOPPED_AFTER:.0f} s) while the call stayed up.",
                                  STOPPED_HINT)

    def _check_silence(self, now: float) -> None:
        """End a call where nobody has said anything for `max_silence` seconds (MAX_SILENCE)."""
        if not self.max_silence or not self.driver.agent_started \
                or self.driver.hangup_at is not None \
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
        self.driver.hang_up_in(len(audio) / 8000 + 3)

    # --- the end ---
    def hangup(self) -> None:
        if self.ended:
            return
        self.driver.hanging_up()
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
        self.driver.disconnected()
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
