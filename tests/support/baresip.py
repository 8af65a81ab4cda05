"""A baresip phone in its own process: a second SIP stack for the tests, so that pjsua2 is not
on both ends of every call (baresip uses libre, written independently of pjsip).

It registers on the test PBX (also its outbound proxy, like the pjsua2 test phone, so a
Refer-To without a port still goes through the PBX), keeps to loopback (`net_interface 127.0.0.1`: SIP, SDP and RTP),
plays a tone file as its microphone and discards what it hears. The test drives it through
baresip's ctrl_tcp module: JSON commands in netstrings (`dial`, `hangup`, `accept`, the menu
module's commands) and JSON events back (`CALL_RINGING`, `CALL_ESTABLISHED`, `CALL_CLOSED`,
`CALL_INCOMING`, `REGISTER_OK`, `CALL_TRANSFER`, ...).
"""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import threading
import time
import wave
from pathlib import Path

MODULES = Path("/usr/lib/baresip/modules")


def baresip_binary() -> str:
    found = shutil.which("baresip")
    if not found:
        raise RuntimeError("baresip is not installed (scripts/install-system-deps.sh)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_sip_port(tries: int = 50) -> int:
    """A port free for UDP and TCP whose next port is free for TCP too: baresip listens for
    SIP over UDP and TCP on `sip_listen`'s port, and over TLS on the next one."""
    from devstack.pbx import free_port

    for _ in range(tries):
        port = free_port()
        with socket.socket() as tls:
            try:
                tls.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no pair of free ports for baresip")


def write_tone(path: Path, seconds: int = 120, hz: int = 440) -> None:
    """A square-ish 8 kHz tone: baresip hangs up when its microphone file ends."""
    period = 8000 // hz
    samples = bytearray()
    for i in range(8000 * seconds):
        value = 8000 if (i % period) < period // 2 else -8000
        samples += value.to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(samples))


class BaresipPhone:
    def __init__(self, workdir: Path, registrar: str, user: str, password: str,
                 auto_answer: bool = False):
        self.workdir = Path(workdir)
        self.registrar, self.user = registrar, user
        self.events: list[dict] = []
        self._claimed: set[int] = set()
        self._queue: queue.Queue = queue.Queue()
        self._tokens = 0
        self.workdir.mkdir(parents=True, exist_ok=True)
        tone = self.workdir / "tone.wav"
        write_tone(tone)
        self.ctrl_port = _free_port()
        (self.workdir / "config").write_text("\n".join([
            f"module_path {MODULES}",
            "net_interface 127.0.0.1",
            "poll_method epoll",
            f"sip_listen 127.0.0.1:{_free_sip_port()}",
            "call_local_timeout 120",
            f"audio_source aufile,{tone}",
            "audio_player aubridge,nowhere",
            "audio_alert aubridge,nowhere",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            "module g711.so", "module aufile.so", "module aubridge.so",
            "module_app account.so", "module_app menu.so", "module_app ctrl_tcp.so", ""]))
        answer = ";answermode=auto" if auto_answer else ""
        (self.workdir / "accounts").write_text(
            f"<sip:{user}@{registrar}>;auth_pass={password};regint=300"
            f';outbound="sip:{registrar}"'
            f";audio_codecs=PCMU,PCMA{answer}\n")
        (self.workdir / "contacts").write_text("")
        self.log = self.workdir / "baresip.log"
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen([baresip_binary(), "-f", str(self.workdir)],
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self._sock = self._connect()
        threading.Thread(target=self._read, daemon=True).start()

    def _connect(self, timeout: float = 10) -> socket.socket:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2)
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"baresip did not start; see {self.log}") from None
                time.sleep(0.05)

    def _read(self) -> None:
        """Netstrings: `<length>:<json>,`."""
        self._sock.settimeout(None)
        buffer = b""
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self._queue.put(None)
                return
            buffer += chunk
            while b":" in buffer:
                length, _, rest = buffer.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                self._queue.put(json.loads(rest[:int(length)]))
                buffer = rest[int(length) + 1:]

    def send(self, command: str, params: str = "") -> None:
        self._tokens += 1
        body = json.dumps({"command": command, "params": params,
                           "token": str(self._tokens)}).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def wait_for(self, kind: str, timeout: float = 10, **match) -> dict:
        """The next event of type `kind` (e.g. CALL_ESTABLISHED) not returned before, whose
        fields equal `match`; events that arrived earlier count too."""
        for index, event in enumerate(self.events):
            if index not in self._claimed and self._matches(event, kind, match):
                self._claimed.add(index)
                return event
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._queue.get(timeout=max(0.001, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"baresip: no {kind} {match} within {timeout}s; saw "
                                   f"{[e.get('type') for e in self.events]}") from None
            if event is None:
                raise EOFError(f"baresip exited ({self.proc.poll()}); see {self.log}")
            self.events.append(event)
            if self._matches(event, kind, match):
                self._claimed.add(len(self.events) - 1)
                return event

    @staticmethod
    def _matches(event: dict, kind: str, match: dict) -> bool:
        return event.get("event") is True and event.get("type") == kind \
            and all(event.get(k) == v for k, v in match.items())

    def stop(self, timeout: float = 5) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._sock.close()
        self._log.close()
