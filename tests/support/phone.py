"""A pjsua2 "phone" in its own process, for integration tests.

pjsua2 allows one Endpoint per process and aborts the process on some misuse, so
test peers run as separate processes and report what happens as JSON lines on
stdout. Exits cleanly on SIGTERM/SIGINT, when stdin closes, or on {"cmd":"quit"}.

stdin commands (one JSON object per line):
  {"cmd": "register"}    force an immediate (re-)REGISTER
  {"cmd": "unregister"}  send REGISTER with Expires: 0
  {"cmd": "quit"}

stdout events: {"event":"started",...}, {"event":"reg_state","code":..,"reason":..,
"expiration":..,"active":..}, {"event":"registered","code":200},
{"event":"unregistered","code":..}, {"event":"error","message":..}, {"event":"exit"}.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import sys
import time

import pjsua2 as pj

TRANSPORTS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


# Events go to the original stdout; fd 1 itself is pointed at stderr (in main) so that
# pjlib's own console output, printed before our log config applies, cannot mix in.
_events = sys.stdout


def emit(event: str, **fields) -> None:
    _events.write(json.dumps({"event": event, **fields}) + "\n")
    _events.flush()


def _reserve_stdout_for_events() -> None:
    global _events
    _events = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)


class PhoneAccount(pj.Account):
    """Reports every registration state change as a JSON line."""

    reg_events = 0

    def onRegState(self, prm):
        self.reg_events += 1
        info = self.getInfo()
        emit("reg_state", code=prm.code, reason=prm.reason, status=prm.status,
             expiration=prm.expiration, active=info.regIsActive)
        if prm.code // 100 == 2 and prm.expiration > 0:
            emit("registered", code=prm.code, expiration=prm.expiration)
        elif prm.code // 100 == 2:
            emit("unregistered", code=prm.code)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="pjsua2 test phone")
    ap.add_argument("--register", required=True, metavar="HOST:PORT",
                    help="registrar (also used as outbound proxy, so no DNS is ever needed)")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", default="")
    ap.add_argument("--domain", default=None, help="domain of the AoR (default: registrar host)")
    ap.add_argument("--transport", choices=sorted(TRANSPORTS), default="udp")
    ap.add_argument("--bind", default="127.0.0.1", help="local address to bind")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--retry", type=int, default=0,
                    help="pjsua retry interval after a failed registration (0 = never)")
    ap.add_argument("--log-level", type=int, default=0, help="pjsua log level to stderr")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    _reserve_stdout_for_events()
    host, _, port = args.register.rpartition(":")
    if not host or not port.isdigit():
        print("--register must be HOST:PORT", file=sys.stderr)
        return 2
    domain = args.domain or host
    tparam = "" if args.transport == "udp" else f";transport={args.transport}"

    stop = {"flag": False}

    def request_stop(*_):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    ep = pj.Endpoint()
    ep.libCreate()
    epc = pj.EpConfig()
    epc.uaConfig.threadCnt = 0
    epc.uaConfig.mainThreadOnly = True
    epc.uaConfig.userAgent = f"smartalex-test-phone/{args.user}"
    epc.logConfig.level = args.log_level
    epc.logConfig.consoleLevel = args.log_level
    ep.libInit(epc)
    ep.audDevManager().setNullDev()

    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = args.bind  # keep Contact on loopback
    if args.transport == "tls":
        tcfg.tlsConfig.verifyServer = False
    tid = ep.transportCreate(TRANSPORTS[args.transport], tcfg)
    ep.libStart()

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{args.user}@{domain}"
    acfg.regConfig.registrarUri = f"sip:{host}:{port}{tparam}"
    acfg.regConfig.timeoutSec = args.expires
    acfg.regConfig.retryIntervalSec = args.retry
    acfg.sipConfig.transportId = tid
    acfg.sipConfig.proxies.append(f"sip:{host}:{port}{tparam};lr")
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", args.user, 0, args.password))
    acc = PhoneAccount()
    emit("started", user=args.user, transport=args.transport, pid=os.getpid())
    acc.create(acfg)

    stdin_fd = sys.stdin.fileno()
    buf = b""
    stdin_open = True
    try:
        while not stop["flag"]:
            ep.libHandleEvents(20)
            if not stdin_open:
                continue
            ready, _, _ = select.select([stdin_fd], [], [], 0)
            if not ready:
                continue
            chunk = os.read(stdin_fd, 4096)
            if not chunk:
                break  # stdin closed: the test that owns us is gone
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip() and handle_command(line, acc):
                    stop["flag"] = True
    finally:
        shutdown(ep, acc)
    emit("exit")
    return 0


def handle_command(line: bytes, acc: pj.Account) -> bool:
    """Run one stdin command; True means quit."""
    try:
        cmd = json.loads(line).get("cmd")
    except (ValueError, AttributeError):
        emit("error", message=f"bad command line: {line[:200]!r}")
        return False
    try:
        if cmd == "quit":
            return True
        if cmd == "register":
            acc.setRegistration(True)
        elif cmd == "unregister":
            acc.setRegistration(False)
        else:
            emit("error", message=f"unknown command {cmd!r}")
    except pj.Error as exc:
        emit("error", message=exc.info())
    return False


def shutdown(ep: pj.Endpoint, acc: PhoneAccount, unreg_wait: float = 1.0) -> None:
    """Un-register (bounded wait), then destroy the library with the account still referenced."""
    try:
        if acc.isValid() and acc.getInfo().regIsActive:
            seen = acc.reg_events
            acc.setRegistration(False)
            deadline = time.monotonic() + unreg_wait
            while time.monotonic() < deadline and acc.reg_events == seen:
                ep.libHandleEvents(20)
    except pj.Error:
        pass
    acc.shutdown()
    # We un-registered above; without NO_NETWORK libDestroy() always sleeps 1 s.
    ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)


if __name__ == "__main__":
    sys.exit(main())
