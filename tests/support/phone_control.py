"""The test phone's controller: accounts, calls, timers and the stdin commands (cmd_*)."""

from __future__ import annotations

import gc
import heapq
import itertools
import os
import tempfile
import time
from pathlib import Path

import pjsua2 as pj

import audio
from phone_call import PhoneAccount, PhoneCall
from phone_io import describe, emit
from phone_media import destroy


class Phone:
    """Holds every account, call and timer; runs stdin commands. Main thread only."""

    def __init__(self, ep: pj.Endpoint, args, tid: int, host: str, port: str):
        self.ep, self.args, self.tid = ep, args, tid
        self.host, self.port = host, port
        self.tparam = "" if args.transport == "udp" else f";transport={args.transport}"
        self.calls: list[PhoneCall] = []  # every Call object, kept until shutdown (docs/measurements/pjsua2-threading.md)
        self.accounts: dict[str | None, PhoneAccount] = {}
        self._timers: list = []
        self._seq = itertools.count()
        self.tmp = Path(tempfile.mkdtemp(prefix="test-phone-"))

    # --- accounts ---
    def account_config(self, name: str | None, register: bool) -> pj.AccountConfig:
        a = self.args
        domain = a.domain or self.host
        acfg = pj.AccountConfig()
        quoted = name.replace("\\", "\\\\").replace('"', '\\"') if name else ""
        acfg.idUri = (f'"{quoted}" ' if name else "") + f"<sip:{a.user}@{domain}>"
        if register:
            acfg.regConfig.registrarUri = f"sip:{self.host}:{self.port}{self.tparam}"
            acfg.regConfig.timeoutSec = a.expires
            acfg.regConfig.retryIntervalSec = a.retry
            acfg.priority = 10  # incoming calls go to the registered account
        else:
            acfg.regConfig.registerOnAdd = False
        acfg.sipConfig.transportId = self.tid
        acfg.sipConfig.proxies.append(f"sip:{self.host}:{self.port}{self.tparam};lr")
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.user, 0, a.password))
        acfg.mediaConfig.transportConfig.boundAddress = a.bind  # RTP on loopback too
        acfg.mediaConfig.lockCodecEnabled = False  # no surprise re-INVITEs toward test peers
        return acfg

    def main_account(self) -> PhoneAccount:
        acc = PhoneAccount(self)
        acc.create(self.account_config(self.args.name, register=True))
        self.accounts[self.args.name] = acc
        return acc

    def account_for(self, name: str | None) -> PhoneAccount:
        """The registered account, or (another From display name) an unregistered twin."""
        if name is None or name in self.accounts:
            return self.accounts[self.args.name if name is None else name]
        if len(self.accounts) >= 6:
            raise RuntimeError("too many from_name values (pjsua allows 8 accounts)")
        acc = PhoneAccount(self)
        acc.create(self.account_config(name, register=False))
        self.accounts[name] = acc
        return acc

    # --- calls and timers ---
    def keep(self, call: PhoneCall) -> None:
        self.calls.append(call)

    def later(self, delay: float, fn, *args) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._seq), fn, args))

    def tick(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, fn, args = heapq.heappop(self._timers)
            self.attempt(fn.__name__, fn, *args)
        for call in self.calls:
            if call.players:
                call.poll_players()
            if call.finishing:
                call.poll_recordings()

    def attempt(self, what: str, fn, *args) -> None:
        try:
            fn(*args)
        except (pj.Error, RuntimeError, ValueError, OSError, KeyError, TypeError) as exc:
            emit("error", cmd=what, message=describe(exc))

    def release_all(self) -> None:
        for call in self.calls:
            call.release_media()
            if call.meter is not None:
                destroy(call.meter)  # not by refcount: see phone_media.destroy
            call.meter = call.aud = None

    def forget_calls(self) -> None:
        """Destroy every Call object now: one that outlives libDestroy() aborts the process."""
        self._timers.clear()
        self.calls.clear()
        gc.collect()

    def ring(self, call: PhoneCall) -> None:
        call.answer(op(180))
        if self.args.answer_after is not None:
            self.later(self.args.answer_after, self.auto_answer, call)

    def auto_answer(self, call: PhoneCall) -> None:
        if not call.ended and not call.answered:
            call.answer(op(200))

    def hangup(self, call: PhoneCall, code: int = 0) -> None:
        if not call.ended:
            call.hung_up_locally = True
            call.hangup(op(code))

    def pick(self, cmd: dict, incoming: bool = False) -> PhoneCall:
        calls = [c for c in self.calls if c.key != pj.PJSUA_INVALID_ID]
        if "call" in cmd:
            found = [c for c in calls if c.key == cmd["call"]]
        elif incoming:
            found = [c for c in calls if c.direction == "incoming" and not c.answered
                     and not c.ended]
        else:
            found = [c for c in calls if not c.ended] or calls
        if not found:
            raise RuntimeError("no such call" if "call" in cmd else "no call")
        return found[-1]

    def target_uri(self, uri: str) -> str:
        return uri if ":" in uri else f"sip:{uri}@{self.host}:{self.port}{self.tparam}"

    # --- commands ---
    def handle(self, cmd: dict) -> bool:
        """Run one command; True means quit."""
        name = cmd.get("cmd")
        if name == "quit":
            return True
        handler = getattr(self, f"cmd_{name}", None) if isinstance(name, str) else None
        if handler is None:
            emit("error", cmd=name, message=f"unknown command {name!r}")
        else:
            self.attempt(name, handler, cmd)
        return False

    def cmd_register(self, cmd):
        self.accounts[self.args.name].setRegistration(True)

    def cmd_unregister(self, cmd):
        self.accounts[self.args.name].setRegistration(False)

    def cmd_call(self, cmd):
        acc = self.account_for(cmd.get("from_name"))
        call = PhoneCall(self, acc)
        self.keep(call)
        prm = op()
        for key, value in (cmd.get("headers") or {}).items():
            header = pj.SipHeader()
            header.hName, header.hValue = key, str(value)
            prm.txOption.headers.append(header)
        call.makeCall(self.target_uri(cmd["uri"]), prm)
        call.key = call.getId()

    def cmd_answer(self, cmd):
        self.pick(cmd, incoming=True).answer(op(int(cmd.get("code", 200))))

    def cmd_hangup(self, cmd):
        if cmd.get("all"):
            for call in self.calls:
                call.hung_up_locally = call.hung_up_locally or not call.ended
            self.ep.hangupAllCalls()
        else:
            self.hangup(self.pick(cmd), int(cmd.get("code", 0)))

    def cmd_dtmf(self, cmd):
        call, digits, method = self.pick(cmd), str(cmd["digits"]), cmd.get("method", "rfc4733")
        if method == "rfc4733":
            call.dialDtmf(digits)
        elif method == "info":
            prm = pj.CallSendDtmfParam()
            prm.method, prm.digits = pj.PJSUA_DTMF_METHOD_SIP_INFO, digits
            call.sendDtmf(prm)
        elif method == "inband":
            wav = audio.write_dtmf_wav(digits, self.tmp / f"dtmf-{next(self._seq)}.wav")
            call.play(str(wav), what="dtmf")
        else:
            raise ValueError(f"unknown DTMF method {method!r}")
        emit("dtmf_sent", call=call.key, digits=digits, method=method)

    def cmd_play(self, cmd):
        call = self.pick(cmd)
        wav = str(Path(cmd["wav"]).resolve())
        if not os.path.exists(wav):
            raise ValueError(f"no such file {wav}")
        call.play(wav)

    def cmd_record(self, cmd):
        self.pick(cmd).record(str(Path(cmd["wav"]).resolve()))

    def cmd_stop_record(self, cmd):
        self.pick(cmd).stop_record()

    def cmd_levels(self, cmd):
        call = self.pick(cmd)
        emit("levels", **call.levels())
        if cmd.get("reset") and call.meter is not None:
            call.meter.reset()

    def cmd_xfer(self, cmd):
        call = self.pick(cmd)
        call.hangup_after_xfer = bool(cmd.get("hangup", True))
        uri = self.target_uri(cmd["uri"])
        call.xfer(uri, op())
        emit("xfer_sent", call=call.key, uri=uri)

    def cmd_calls(self, cmd):
        emit("calls", calls=[{"call": c.key, "direction": c.direction, "answered": c.answered,
                              "ended": c.ended} for c in self.calls
                             if c.key != pj.PJSUA_INVALID_ID])


def op(code: int = 0) -> pj.CallOpParam:
    prm = pj.CallOpParam(True)
    if code:
        prm.statusCode = code
    return prm
