"""Account and calls of the test phone (tests/support/phone.py drives them).

Every callback here runs on the phone's main thread (threadCnt=0, mainThreadOnly, libHandleEvents
pumped by phone.py). Audio taps are in phone_media.py.
"""

from __future__ import annotations

import time

import pjsua2 as pj

from phone_io import emit, guarded, parse_name_addr, parse_request, uri_user
from phone_media import NO_LEVELS, Player, RxMeter, destroy, wav_finished

_REPORTED = ("referred-by", "p-asserted-identity", "diversion", "remote-party-id", "subject")

DTMF_METHODS = {pj.PJSUA_DTMF_METHOD_RFC2833: "rfc4733", pj.PJSUA_DTMF_METHOD_SIP_INFO: "info"}


class PhoneCall(pj.Call):
    """One call; reports its life as events. `phone` is the Phone controller of phone.py."""

    def __init__(self, phone, acc, call_id=pj.PJSUA_INVALID_ID, direction="outgoing",
                 transfer_of=None):
        super().__init__(acc, call_id)
        self.phone, self.acc, self.direction, self.transfer_of = phone, acc, direction, transfer_of
        self.key = call_id  # pjsua call id, known once the call exists
        self.state = pj.PJSIP_INV_STATE_INCOMING if direction == "incoming" else None
        self.answered = self.hung_up_locally = self.calling_sent = False
        self.hangup_after_xfer = True
        self.aud = self.meter = self.recorder = None
        self.recording: str | None = None
        self.finishing: list[tuple[str, float]] = []  # recordings whose WAV is being closed
        self.players: list[Player] = []
        self.med_idx = -1
        self.rx_packets = 0

    @property
    def ended(self) -> bool:
        return self.state == pj.PJSIP_INV_STATE_DISCONNECTED

    @guarded
    def onCallState(self, prm):
        ci = self.getInfo()
        self.key, self.state = ci.id, ci.state
        base = {"call": ci.id, "direction": self.direction}
        emit("call_state", **base, state=ci.stateText, code=ci.lastStatusCode, reason=ci.lastReason)
        if ci.state == pj.PJSIP_INV_STATE_CALLING and not self.calling_sent:
            self.calling_sent = True
            emit("calling", **base, uri=ci.remoteUri, call_id=ci.callIdString,
                 transfer=self.transfer_of is not None)
        elif ci.state == pj.PJSIP_INV_STATE_EARLY and self.direction == "outgoing" \
                and ci.lastStatusCode in (180, 183):
            emit("ringing", **base, code=ci.lastStatusCode, reason=ci.lastReason)
        elif ci.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.answered = True
            emit("answered", **base, remote_uri=ci.remoteUri, local_uri=ci.localUri,
                 call_id=ci.callIdString)
        elif ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.update_rx_packets()
            self.release_media()
            dur = ci.connectDuration
            emit("disconnected", **base, code=ci.lastStatusCode, reason=ci.lastReason,
                 last_status=200 if self.answered else ci.lastStatusCode,
                 by="local" if self.hung_up_locally else "remote",
                 duration=round(dur.sec + dur.msec / 1000, 3))

    @guarded
    def onCallMediaState(self, prm):
        ci = self.getInfo()
        for mi in ci.media:
            if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.med_idx = mi.index
                self.aud = self.getAudioMedia(mi.index)
                if self.meter is None:
                    self.meter = RxMeter()
                    self.meter.open(f"rx-meter-{ci.id}")
                self.aud.startTransmit(self.meter)
                if self.recorder is not None:
                    self.aud.startTransmit(self.recorder)
                for player in self.players:
                    player.startTransmit(self.aud)
                si = self.getStreamInfo(mi.index)
                emit("media_active", call=ci.id, codec=si.codecName, clock_rate=si.codecClockRate,
                     remote_rtp=si.remoteRtpAddress)
                return

    @guarded
    def onDtmfDigit(self, prm):
        known = prm.duration != 0xFFFFFFFF  # PJSUA_UNKNOWN_DTMF_DURATION
        emit("dtmf", call=self.key, digit=prm.digit,
             method=DTMF_METHODS.get(prm.method, str(prm.method)),
             duration=prm.duration if known else None)

    @guarded
    def onCallTransferRequest(self, prm):
        # The remote side REFERs us: accept (202) and let pjsua call the target with a Call
        # object of our own, so the new call reports events too.
        new = PhoneCall(self.phone, self.acc, transfer_of=self.key)
        self.phone.keep(new)
        prm.newCall = new
        emit("transfer_request", call=self.key, dst_uri=prm.dstUri, code=prm.statusCode)

    @guarded
    def onCallTransferStatus(self, prm):
        emit("transfer_status", call=self.key, code=prm.statusCode, reason=prm.reason,
             final=bool(prm.finalNotify))
        if prm.finalNotify and prm.statusCode // 100 == 2 and self.hangup_after_xfer:
            self.phone.later(0, self.phone.hangup, self)  # a real phone leaves after a transfer

    # --- media (main thread) ---
    def need_media(self) -> pj.AudioMedia:
        if self.aud is None or self.ended:
            raise RuntimeError(f"call {self.key} has no active audio")
        return self.aud

    def play(self, wav: str, what: str = "play") -> None:
        aud = self.need_media()
        player = Player(wav, what)
        player.createPlayer(wav, pj.PJMEDIA_FILE_NO_LOOP)
        player.startTransmit(aud)
        self.players.append(player)

    def poll_players(self) -> None:
        for player in [p for p in self.players if p.done]:
            self._drop_player(player)
            emit("played", call=self.key, wav=player.wav, what=player.what, complete=True)

    def _drop_player(self, player: Player) -> None:
        self.players.remove(player)
        try:
            if self.aud is not None:
                player.stopTransmit(self.aud)
        except pj.Error:
            pass  # the call's media may already be gone
        destroy(player)

    def record(self, wav: str) -> None:
        aud = self.need_media()
        self.stop_record()
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(wav)
        self.recording = wav
        aud.startTransmit(self.recorder)

    def stop_record(self) -> None:
        if self.recorder is None:
            return
        try:
            if self.aud is not None:
                self.aud.stopTransmit(self.recorder)
        except pj.Error:
            pass
        # Dropping the recorder destroys it; pjmedia finishes the WAV header a frame later, on
        # its clock thread, so "recorded" waits for that (poll_recordings).
        self.recorder = None
        self.finishing.append((self.recording, time.monotonic() + 2))

    def poll_recordings(self) -> None:
        for item in list(self.finishing):
            wav, deadline = item
            done = wav_finished(wav)
            if done or time.monotonic() > deadline:
                self.finishing.remove(item)
                emit("recorded", call=self.key, wav=wav, complete=done)

    def update_rx_packets(self) -> None:
        if self.med_idx >= 0 and not self.ended:
            try:
                self.rx_packets = self.getStreamStat(self.med_idx).rtcp.rxStat.pkt
            except pj.Error:
                pass

    def levels(self) -> dict:
        self.update_rx_packets()
        stats = self.meter.snapshot() if self.meter else dict(NO_LEVELS)
        return {"call": self.key, **stats, "rx_packets": self.rx_packets}

    def release_media(self) -> None:
        """Stop players and the recorder (their events follow). The meter stays for `levels`."""
        for player in list(self.players):
            self._drop_player(player)
            emit("played", call=self.key, wav=player.wav, what=player.what, complete=False)
        self.stop_record()


class PhoneAccount(pj.Account):
    """Reports registration changes and incoming calls."""

    def __init__(self, phone):
        super().__init__()
        self.phone = phone
        self.reg_events = 0

    @guarded
    def onRegState(self, prm):
        self.reg_events += 1
        info = self.getInfo()
        emit("reg_state", code=prm.code, reason=prm.reason, status=prm.status,
             expiration=prm.expiration, active=info.regIsActive)
        if prm.code // 100 == 2 and prm.expiration > 0:
            emit("registered", code=prm.code, expiration=prm.expiration)
        elif prm.code // 100 == 2:
            emit("unregistered", code=prm.code)

    @guarded
    def onIncomingCall(self, prm):
        call = PhoneCall(self.phone, self, prm.callId, "incoming")
        self.phone.keep(call)
        ci = call.getInfo()
        ruri, headers = parse_request(prm.rdata.wholeMsg)
        from_value = headers.get("from", ("From", ci.remoteUri))[1]
        name, uri = parse_name_addr(from_value)
        extra = {n: v for key, (n, v) in headers.items() if key.startswith("x-") or key in _REPORTED}
        emit("incoming", call=ci.id, **{"from": from_value}, from_number=uri_user(uri),
             from_name=name, from_uri=uri, request_uri=ruri,
             to=headers.get("to", ("To", ci.localUri))[1], call_id=ci.callIdString,
             headers=extra, source=prm.rdata.srcAddress)
        self.phone.ring(call)
