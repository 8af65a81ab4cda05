"""`make call` (`python -m devstack call`): a test call to the AI for someone without a
softphone. It registers as the demo PBX's extension 300 with the demo's own credentials
(.state/demo-pbx-users.json), dials the AI at 1000, listens for its greeting, optionally keys
an extension (DIGITS=215 transfers to Sarah), and says what happened at each step.

The phone is the suite's own pjsua2 test phone (tests/support/phone.py), in a process of its
own as pjsua2 wants; `--record FILE.wav` keeps what the AI said, to listen to afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from .demo import AI_EXTENSION, demo_address
from .state import ROOT, STATE_DIR

PHONE = ROOT / "tests" / "support" / "phone.py"
CALLER = "300"
GREETING_FRAMES = 25  # half a second of speech: the greeting has started


class CallFailed(Exception):
    pass


class Phone:
    """The test phone's JSON events on a queue, its commands on stdin."""

    def __init__(self, args: list[str], log: Path):
        self._log = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, str(PHONE), *args], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log)
        self.events: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put(None)

    def send(self, cmd: str, **fields) -> None:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()

    def wait(self, names: set[str], timeout: float, failing: str) -> dict:
        """The next event among `names`; a disconnect or error first is a CallFailed."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise CallFailed(failing) from None
            if event is None:
                raise CallFailed(f"{failing} (the phone stopped; see its log)")
            if event["event"] in names:
                return event
            if event["event"] == "disconnected" and "disconnected" not in names:
                raise CallFailed(f"the call ended: {event.get('code')} {event.get('reason')}")
            if event["event"] == "reg_state" and event.get("code", 200) >= 300:
                raise CallFailed(f"the PBX refused extension {CALLER}: {event.get('code')} "
                                 f"{event.get('reason')}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.send("quit")
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


def _transfer_outcome(phone: Phone, digits: str) -> str:
    """What the PBX did with the call the REFER asked this phone to make."""
    while True:
        event = phone.wait({"ringing", "answered", "disconnected"}, 20,
                           f"nothing happened on the call to {digits} within 20 s")
        if event["event"] == "answered":
            return f"{digits} answered the transferred call"
        if event["event"] == "ringing":
            return f"{digits} is ringing: the transfer worked"
        if event.get("last_status") == 200 or event.get("code") == 200:
            continue  # the AI leaving the first call
        return (f"The PBX could not reach {digits}: {event.get('code')} {event.get('reason')} "
                f"(register a softphone as {digits} to answer it)")


def place_call(digits: str | None, seconds: float, record: Path | None) -> None:
    users_file = STATE_DIR / "demo-pbx-users.json"
    if not users_file.exists():
        raise CallFailed(f"no demo PBX credentials in {users_file}: start the stack with "
                         "`make run` first (in another terminal)")
    password = json.loads(users_file.read_text())[CALLER]
    host, port = demo_address(), int(os.environ.get("SMARTALEX_PBX_PORT", "5060"))
    logs = STATE_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    phone = Phone(["--register", f"{host}:{port}", "--user", CALLER, f"--password={password}",
                   "--bind", host], logs / "call.log")
    try:
        phone.wait({"registered"}, 10, f"the demo PBX on {host}:{port} did not answer: is "
                                       "`make run` running?")
        print(f"Registered as extension {CALLER} on the demo PBX ({host}:{port})", flush=True)
        phone.send("call", uri=AI_EXTENSION)
        phone.wait({"answered"}, 15, f"the AI at {AI_EXTENSION} did not answer within 15 s "
                                     "(see .state/logs/edge.log)")
        print(f"The AI answered at {AI_EXTENSION}", flush=True)
        if record:
            phone.send("record", wav=str(record))
        deadline = time.monotonic() + 10
        while True:
            phone.send("levels")
            levels = phone.wait({"levels"}, 5, "the phone stopped answering")
            if levels["rx_speech_frames"] >= GREETING_FRAMES:
                break
            if time.monotonic() > deadline:
                raise CallFailed("no greeting heard within 10 s of the answer: the AI's audio "
                                 "does not reach the phone (see .state/logs/edge.log)")
            time.sleep(0.2)
        print("Heard the AI's greeting", flush=True)
        if digits:
            time.sleep(2)  # let it finish its sentence, as a person would
            phone.send("dtmf", digits=digits, method="rfc4733")
            print(f"Keyed {digits}", flush=True)
            refer = phone.wait({"transfer_request"}, 20, f"the AI did not transfer the call "
                                                        f"within 20 s of {digits}")
            print(f"The AI transferred the call with a SIP REFER to {refer['dst_uri']}",
                  flush=True)
            print(_transfer_outcome(phone, digits), flush=True)
            phone.send("hangup", all=True)
            return
        time.sleep(seconds)
        phone.send("hangup")
        phone.wait({"disconnected"}, 10, "the call did not end after hanging up")
        print(f"Hung up after {seconds:.0f} s", flush=True)
    finally:
        if record:
            print(f"What the AI said is in {record}", flush=True)
        phone.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack call", description=__doc__)
    parser.add_argument("--digits", help="an extension to key after the greeting, e.g. 215")
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="how long to listen before hanging up (without --digits)")
    parser.add_argument("--record", type=Path, help="save what the AI said to this WAV file")
    args = parser.parse_args(argv)
    try:
        place_call(args.digits, args.seconds, args.record)
    except CallFailed as err:
        print(f"The test call failed: {err}", file=sys.stderr, flush=True)
        return 1
    return 0
