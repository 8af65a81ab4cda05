"""A pjsua2 "phone" in its own process, for integration and end-to-end tests.

pjsua2 allows one Endpoint per process and aborts the process on some misuse, so test peers run
as separate processes: JSON commands on stdin, JSON events on stdout, one object a line. It
registers --user on --register HOST:PORT (also its outbound proxy), speaks PCMU/PCMA at 8 kHz
with RTP on loopback, and exits cleanly on SIGTERM/SIGINT, when stdin closes, or on "quit".
Incoming calls get 180 at once; --auto-answer / --answer-after SEC answer them, else "answer".

Commands {"cmd": NAME, ...}. "call": N (the id in events) picks a call; default: the newest call
not ended, else the newest call ("answer": the newest unanswered incoming call).
  call        uri ("sip:..." or just "1000" = sip:1000@registrar), headers {}, from_name
  answer      code=200                 hangup      code (486/603/..), all=false
  dtmf        digits, method="rfc4733" | "inband" (tones played into the call) | "info"
  play        wav (8/16 kHz mono)      record      wav         stop_record
  levels      reset=false              xfer        uri, hangup=true (hang up after final 2xx)
  calls | register | unregister | quit
Events {"event": NAME, ...}; call events carry "call" (pjsua id) and most "direction":
  started user transport pid         reg_state code reason status expiration active
  registered code expiration         unregistered code
  incoming from (whole header) from_number from_name from_uri request_uri to call_id
           headers (X-*, Referred-By, P-Asserted-Identity, Diversion, ...) source
  calling uri call_id transfer       ringing code reason (180/183)
  answered remote_uri local_uri call_id      call_state state code reason (every change)
  media_active codec clock_rate remote_rtp   (may come before "answered")
  disconnected code reason last_status (200 if it was answered) by (local|remote) duration
  dtmf digit method duration         dtmf_sent digits method
  played wav what (play|dtmf) complete       recorded wav complete (the WAV is closed)
  levels rx_frames (20 ms frames with sound) rx_rms rx_peak_rms rx_speech_frames
         rx_recent_rms (last 1 s) rx_bridge_frames (all frames metered) rx_packets (RTP)
  transfer_request dst_uri code (we were REFERred; we call dst_uri as a new call)
  transfer_status code reason final (our REFER's NOTIFYs)   xfer_sent uri
  calls calls[]     error message [cmd]     exit
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import select
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # phone_* and audio modules

import pjsua2 as pj  # noqa: E402

from phone_call import PhoneAccount  # noqa: E402
from phone_control import Phone  # noqa: E402
from phone_io import emit, reserve_stdout_for_events  # noqa: E402

TRANSPORTS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="pjsua2 test phone")
    ap.add_argument("--register", required=True, metavar="HOST:PORT",
                    help="registrar (also used as outbound proxy, so no DNS is ever needed)")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", default="")
    ap.add_argument("--domain", default=None, help="domain of the AoR (default: registrar host)")
    ap.add_argument("--name", default=None, help="display name in From")
    ap.add_argument("--transport", choices=sorted(TRANSPORTS), default="udp")
    ap.add_argument("--bind", default="127.0.0.1", help="local address for SIP and RTP")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--retry", type=int, default=0,
                    help="pjsua retry interval after a failed registration (0 = never)")
    ap.add_argument("--auto-answer", action="store_true",
                    help="answer incoming calls (after --answer-after seconds, default 0)")
    ap.add_argument("--answer-after", type=float, default=None, metavar="SEC",
                    help="answer incoming calls SEC seconds after ringing (implies --auto-answer)")
    ap.add_argument("--codecs", default="PCMU,PCMA", help="enabled codecs, in priority order")
    ap.add_argument("--log-level", type=int, default=0, help="pjsua log level to stderr")
    args = ap.parse_args(argv)
    if args.auto_answer and args.answer_after is None:
        args.answer_after = 0.0
    return args


def start_endpoint(args) -> tuple[pj.Endpoint, int]:
    ep = pj.Endpoint()
    ep.libCreate()
    epc = pj.EpConfig()
    epc.uaConfig.threadCnt = 0
    epc.uaConfig.mainThreadOnly = True
    epc.uaConfig.maxCalls = 32
    epc.uaConfig.userAgent = f"smartalex-test-phone/{args.user}"
    epc.logConfig.level = args.log_level
    epc.logConfig.consoleLevel = args.log_level
    epc.medConfig.clockRate = epc.medConfig.sndClockRate = 8000  # a phone line: 8 kHz
    epc.medConfig.noVad = True  # stream RTP all the time, like a desk phone
    epc.medConfig.ecTailLen = 0
    ep.libInit(epc)
    ep.audDevManager().setNullDev()
    wanted = [c.strip().upper() for c in args.codecs.split(",") if c.strip()]
    for codec in ep.codecEnum2():
        base = codec.codecId.split("/")[0].upper()
        ep.codecSetPriority(codec.codecId, 250 - wanted.index(base) if base in wanted else 0)

    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = args.bind  # keep Contact on loopback
    if args.transport == "tls":
        tcfg.tlsConfig.verifyServer = False
    tid = ep.transportCreate(TRANSPORTS[args.transport], tcfg)
    ep.libStart()
    return ep, tid


def main(argv=None) -> int:
    faulthandler.enable()  # a crash leaves a traceback on stderr (the test's phone log)
    args = parse_args(argv)
    reserve_stdout_for_events()
    host, _, port = args.register.rpartition(":")
    if not host or not port.isdigit():
        print("--register must be HOST:PORT", file=sys.stderr)
        return 2

    stop = {"flag": False}

    def request_stop(*_):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    ep, tid = start_endpoint(args)
    phone = Phone(ep, args, tid, host, port)
    emit("started", user=args.user, transport=args.transport, pid=os.getpid())
    acc = phone.main_account()

    stdin_fd = sys.stdin.fileno()
    buf = b""
    try:
        while not stop["flag"]:
            ep.libHandleEvents(20)
            phone.tick()
            ready, _, _ = select.select([stdin_fd], [], [], 0)
            if not ready:
                continue
            chunk = os.read(stdin_fd, 4096)
            if not chunk:
                break  # stdin closed: the test that owns us is gone
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip() and handle_line(line, phone):
                    stop["flag"] = True
    finally:
        shutdown(ep, phone, acc)
    emit("exit")
    return 0


def handle_line(line: bytes, phone: Phone) -> bool:
    try:
        cmd = json.loads(line)
        if not isinstance(cmd, dict):
            raise ValueError
    except ValueError:
        emit("error", message=f"bad command line: {line[:200]!r}")
        return False
    return phone.handle(cmd)


def _pump(ep: pj.Endpoint, seconds: float, until=lambda: False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        ep.libHandleEvents(20)


def shutdown(ep: pj.Endpoint, phone: Phone, acc: PhoneAccount, unreg_wait: float = 1.0) -> None:
    """End calls, free media and Call objects, un-register (bounded waits), destroy the library.

    Call and media objects must be gone before libDestroy(); accounts stay referenced."""
    try:
        if any(not c.ended for c in phone.calls if c.key != pj.PJSUA_INVALID_ID):
            ep.hangupAllCalls()
            _pump(ep, 1.0, lambda: all(c.ended for c in phone.calls
                                       if c.key != pj.PJSUA_INVALID_ID))
        phone.release_all()

        def recordings_closed() -> bool:
            phone.tick()  # emits "recorded" once pjmedia has closed each WAV
            return not any(c.finishing for c in phone.calls)

        _pump(ep, 0.5, recordings_closed)
        phone.forget_calls()
        _pump(ep, 0.05)
        if acc.isValid() and acc.getInfo().regIsActive:
            seen = acc.reg_events
            acc.setRegistration(False)
            _pump(ep, unreg_wait, lambda: acc.reg_events != seen)
    except pj.Error:
        pass
    for account in phone.accounts.values():
        account.shutdown()
    # We un-registered above; without NO_NETWORK libDestroy() always sleeps 1 s.
    ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)
    shutil.rmtree(phone.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
