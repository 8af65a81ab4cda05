"""Ending a call whose worker process died: the dialog state the supervisor keeps, and the BYE
it sends from it.

A worker that dies (SIGKILL, a crash in pjsua) takes its calls' SIP state with it: the caller
would hear silence until they hang up, and their BYE would get 481 from the worker's
replacement. So once a call is answered the worker hands the supervisor what RFC 3261 §12.2.1.1
needs to send a BYE of its own: Call-ID, both tags, the remote target (the INVITE's Contact),
the route set (its Record-Route) and the transport. The supervisor sends that BYE when the
worker dies (`send_bye`, on a thread of its own), from a socket of its own.

Its CSeq: every request we send in the dialog counts up from pjsip's random start below 2^15
(sip_dialog.c), so one far above it (BYE_CSEQ) is always greater than the last, as RFC 3261
§12.2.2 requires, whatever the dead worker sent before.
"""

from __future__ import annotations

import re
import secrets
import socket
import ssl
import time
from dataclasses import dataclass

from .sip.invite import parse_headers

BYE_CSEQ = 1_000_000_000
# Timer A doubling from T1 (0.5 s) over UDP until an answer, at most this long (the caller's
# phone or the PBX answers a BYE at once; a lost one is what the retransmissions are for).
GIVE_UP_AFTER = 8.0
_URI_IN_BRACKETS = re.compile(r"<([^>]*)>")
_HOSTPORT = re.compile(r"^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^;:?>]+)(?::(\d+))?", re.I)


@dataclass(frozen=True)
class Dialog:
    """What a BYE needs, as the UAS (the AI answered the call)."""

    call_id: str
    local: str   # our From in the BYE: the INVITE's To with our tag
    remote: str  # its To: the INVITE's From, their tag included
    target: str  # the Request-URI: the INVITE's Contact
    routes: tuple[str, ...]  # Route headers: the INVITE's Record-Route, in order
    transport: str  # udp, tcp or tls

    @classmethod
    def answered(cls, invite: str, answer: str, transport: str) -> "Dialog | None":
        """From the INVITE we received and the 2xx we sent to it; None if either lacks what a
        dialog needs (no Contact, no tag)."""
        _, inv = parse_headers(invite)
        _, ok = parse_headers(answer)
        to, remote = (ok.get("to") or [""])[0], (inv.get("from") or [""])[0]
        contact = _URI_IN_BRACKETS.search((inv.get("contact") or [""])[0]) or \
            re.match(r"\s*([^;,\s]+)", (inv.get("contact") or [""])[0])
        call_id = (inv.get("call-id") or [""])[0]
        if not (call_id and contact and ";tag=" in to.lower() and ";tag=" in remote.lower()):
            return None
        routes = tuple(r.strip() for value in inv.get("record-route", [])
                       for r in re.split(r",(?=\s*<)", value))
        return cls(call_id, to, remote, contact.group(1), routes, transport.lower())

    def next_hop(self) -> tuple[str, int]:
        """Where the BYE goes: the first route if it loose-routes, else the remote target."""
        uri = self.target
        if self.routes:
            first = _URI_IN_BRACKETS.search(self.routes[0])
            uri = first.group(1) if first else uri
        match = _HOSTPORT.match(uri)
        if not match:
            raise ValueError(f"no host in {uri!r}")
        host = match.group(1).strip("[]")
        default = 5061 if self.transport == "tls" or uri.lower().startswith("sips:") else 5060
        return host, int(match.group(2) or default)

    def bye(self, via_host: str, via_port: int, branch: str | None = None,
            reason: str = "edge failure") -> str:
        """The BYE, as text (RFC 3326 Reason: the PBX may log why the call ended)."""
        branch = branch or f"z9hG4bK{secrets.token_hex(8)}"
        lines = [f"BYE {self.target} SIP/2.0",
                 f"Via: SIP/2.0/{self.transport.upper()} {via_host}:{via_port};rport;"
                 f"branch={branch}",
                 "Max-Forwards: 70",
                 *[f"Route: {route}" for route in self.routes],
                 f"From: {self.local}",
                 f"To: {self.remote}",
                 f"Call-ID: {self.call_id}",
                 f"CSeq: {BYE_CSEQ} BYE",
                 f'Reason: SIP;cause=500;text="{reason}"',
                 "Content-Length: 0"]
        return "\r\n".join(lines) + "\r\n\r\n"


def send_bye(dialog: Dialog, bind: str = "0.0.0.0", public: str | None = None,
             tls_verify: bool = True, timeout: float = GIVE_UP_AFTER) -> int | None:
    """Send the dialog's BYE and wait for the final answer; its status code, or None if
    nothing answered in `timeout` seconds. Blocking: run it on a thread of its own."""
    host, port = dialog.next_hop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = socket.getaddrinfo(host, port, family)[0][4]
    if dialog.transport == "udp":
        return _over_udp(dialog, address, family, bind, public, timeout)
    return _over_stream(dialog, address, family, public, tls_verify, timeout, host)


def _over_udp(dialog, address, family, bind, public, timeout) -> int | None:
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((bind if family == socket.AF_INET else "::", 0))
        sock.connect(address)
        local_host, local_port = sock.getsockname()[:2]
        message = dialog.bye(public or local_host, local_port).encode()
        deadline, interval = time.monotonic() + timeout, 0.5
        while time.monotonic() < deadline:
            sock.sendall(message)
            sock.settimeout(min(interval, max(0.01, deadline - time.monotonic())))
            try:
                while True:
                    status = _final_status(sock.recv(65536).decode(errors="replace"))
                    if status is not None:
                        return status
            except (socket.timeout, ConnectionRefusedError):
                interval = min(interval * 2, 4.0)
    return None


def _over_stream(dialog, address, family, public, tls_verify, timeout, host) -> int | None:
    deadline = time.monotonic() + timeout
    with socket.create_connection(address[:2], timeout=timeout) as raw:
        sock = raw
        if dialog.transport == "tls":
            context = ssl.create_default_context()
            if not tls_verify:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            sock = context.wrap_socket(raw, server_hostname=host)
        local_host, local_port = sock.getsockname()[:2]
        sock.sendall(dialog.bye(public or local_host, local_port).encode())
        received = ""
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            received += data.decode(errors="replace")
            for message in received.split("\r\n\r\n"):
                status = _final_status(message)
                if status is not None:
                    return status
    return None


def _final_status(message: str) -> int | None:
    """The status of a final response to our BYE (retransmitted 1xx and strays: None)."""
    match = re.match(r"SIP/2\.0 (\d{3}) ", message)
    if match and int(match.group(1)) >= 200 and re.search(
            rf"^CSeq:\s*{BYE_CSEQ}\s+BYE\b", message, re.I | re.M):
        return int(match.group(1))
    return None
