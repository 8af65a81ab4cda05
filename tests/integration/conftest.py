"""Fixtures for integration tests: a real Kamailio test PBX and pjsua2 phone processes."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devstack.pbx import KamailioPBX, free_media_port, free_port
from devstack.sqs_pump import QueuePump

PHONE = Path(__file__).resolve().parents[1] / "support" / "phone.py"
SIPP_SCENARIOS = Path(__file__).resolve().parents[1] / "support" / "sipp"
TEST_USERS = {"300": "pw300", "301": "pw301", "1000": "secret"}


class PhoneProcess:
    """tests/support/phone.py in a child process; its JSON events arrive on a queue."""

    def __init__(self, args: list[str], log_path: Path, prefix: tuple[str, ...] = ()):
        """`prefix`: what to run the phone under (e.g. `ip netns exec <name>`)."""
        self.log_path = log_path
        self._stderr = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [*prefix, sys.executable, str(PHONE), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )
        self.events: list[dict] = []
        self._claimed: set[int] = set()  # indexes in events already returned by expect/wait_for
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self._queue.put(json.loads(line))
            except ValueError:
                self._queue.put({"event": "garbage", "line": line})
        self._queue.put(None)

    def expect(self, event: str, timeout: float = 5, **match) -> dict:
        """Next event named `event` whose fields equal `match`; earlier ones are kept."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise TimeoutError(f"no {event} {match} within {timeout}s; saw {self.events}")
            if item is None:
                raise EOFError(f"phone exited ({self.proc.poll()}) before {event}; saw {self.events}")
            self.events.append(item)
            if self._matches(item, event, match):
                self._claimed.add(len(self.events) - 1)
                return item

    def wait_for(self, event: str, timeout: float = 5, **match) -> dict:
        """Like expect(), but order-independent: also takes a matching event that arrived while
        an earlier expect()/wait_for() skipped past it (each event is returned at most once).
        Use it for events whose relative order is not fixed (media_active vs answered)."""
        for i, item in enumerate(self.events):
            if i not in self._claimed and self._matches(item, event, match):
                self._claimed.add(i)
                return item
        return self.expect(event, timeout, **match)

    @staticmethod
    def _matches(item: dict, event: str, match: dict) -> bool:
        return item.get("event") == event and all(item.get(k) == v for k, v in match.items())

    def send(self, cmd: str, **fields) -> None:
        """One command line, e.g. send("call", uri="sip:301@127.0.0.1:5060")."""
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()

    def ask(self, cmd: str, event: str, timeout: float = 5, **fields) -> dict:
        """send() then expect(event): e.g. ask("levels", "levels")."""
        self.send(cmd, **fields)
        return self.expect(event, timeout)

    def stop(self, timeout: float = 5) -> int:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # the phone exits when stdin closes
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._stderr.close()
        return self.proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


def assert_exited_cleanly(*phones: PhoneProcess) -> None:
    """Stop every phone, then fail naming each one that did not exit with 0, with its log tail
    (a crash leaves a faulthandler traceback there)."""
    codes = [phone.stop() for phone in phones]
    bad = [f"{phone.log_path.name} exited {code}:\n{phone.log_tail()}"
           for phone, code in zip(phones, codes) if code != 0]
    assert not bad, "\n\n".join(bad)


@pytest.fixture
def pbx(tmp_path):
    with KamailioPBX(tmp_path / "pbx", users=TEST_USERS) as server:
        yield server


@pytest.fixture
def phone_factory(tmp_path):
    """phone_factory(pbx, user, password, transport="udp", *extra, netns=None) -> PhoneProcess;
    with `netns` (tests/support/netns.py), the phone runs in that namespace, on its address."""
    phones: list[PhoneProcess] = []

    def start(pbx: KamailioPBX, user: str, password: str, transport: str = "udp", *extra: str,
              netns=None):
        port = pbx.tls_port if transport == "tls" else pbx.port
        args = ["--register", f"{pbx.host}:{port}", "--user", user,
                f"--password={password}", "--transport", transport, "--log-level", "3", *extra]
        if netns is not None:
            args += ["--bind", netns.address]
        phone = PhoneProcess(args, tmp_path / f"phone-{user}-{len(phones)}.log",
                             tuple(netns.run_in()) if netns is not None else ())
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        phone.stop()


@pytest.fixture
def baresip_factory(tmp_path):
    """baresip_factory(pbx, user, password, auto_answer=False) -> BaresipPhone (a second SIP
    stack, tests/support/baresip.py), registered; stopped after the test."""
    from tests.support.baresip import BaresipPhone

    phones: list[BaresipPhone] = []

    def start(pbx: KamailioPBX, user: str, password: str, auto_answer: bool = False):
        phone = BaresipPhone(tmp_path / f"baresip-{user}-{len(phones)}",
                             f"{pbx.host}:{pbx.port}", user, password, auto_answer)
        phones.append(phone)
        # baresip registers before the test's control connection is up (no REGISTER_OK to
        # wait for): ask the PBX instead.
        pbx.wait_for_contact(user, timeout=10)
        return phone

    yield start
    for phone in phones:
        phone.stop()


@pytest.fixture
def sipp_factory(tmp_path):
    """sipp_factory(scenario, remote, *extra, service=None, local_ip=...) -> Popen of one sipp
    call (-m 1).

    `scenario` is a file name in tests/support/sipp; `remote` is "host:port"; `local_ip` is the
    loopback address sipp sends from (127.0.0.5 plays a host that is not the PBX). sipp gets
    free SIP and media ports and a 30 s global timeout; every message it sends or receives is
    in `<tmp>/sipp-<n>.msg` (.messages(n)); whatever is left is killed."""
    procs: list[subprocess.Popen] = []

    def start(scenario: str, remote: str, *extra: str, service: str | None = None,
              local_ip: str = "127.0.0.1"):
        n = len(procs)
        cmd = ["sipp", remote, "-sf", str(SIPP_SCENARIOS / scenario), "-i", local_ip,
               "-p", str(free_port(host=local_ip)), "-mp", str(free_media_port(host=local_ip)),
               "-m", "1", "-nostdin", "-timeout", "30", "-trace_err",
               "-error_file", str(tmp_path / f"sipp-{n}.err"),
               "-trace_msg", "-message_file", str(tmp_path / f"sipp-{n}.msg")]
        if service:
            cmd += ["-s", service]
        log = open(tmp_path / f"sipp-{n}.log", "ab")
        try:
            proc = subprocess.Popen([*cmd, *extra], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=log)
        finally:
            log.close()
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


# --- the edge-events queue on the local AWS endpoint, pumped by hand ---

def empty(url: str) -> None:
    """Delete whatever earlier tests left (PurgeQueue is limited to once a minute)."""
    from smartalex.adapters import aws

    sqs = aws.client("sqs")
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                          VisibilityTimeout=30).get("Messages", []):
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])


def send(url: str, *bodies: str) -> None:
    from smartalex.adapters import aws

    for body in bodies:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)


def drain(pump: QueuePump, expected: int, timeout: float = 10) -> None:
    """Pump until `expected` messages were handled, or fail at the deadline."""
    handled, deadline = 0, time.monotonic() + timeout
    while handled < expected:
        assert time.monotonic() < deadline, f"only {handled} of {expected} messages arrived"
        handled += pump.pump_once(wait_seconds=1)


@pytest.fixture(name="queue")
def edge_events_queue(aws_endpoint) -> str:
    """The edge-events queue's URL, emptied."""
    url = aws_endpoint["queues"]["edge_events"]
    empty(url)
    return url


@pytest.fixture
def pump(aws_endpoint) -> QueuePump:
    """The edge-events handler's event source on its queue, driven by hand (pump_once, drain):
    receiving, the handler and deleting run as the handler's own IAM identity."""
    from functions.edge_events.handler import lambda_handler

    return QueuePump(aws_endpoint["queues"]["edge_events"], lambda_handler, "edge-events",
                     identity=aws_endpoint["identities"]["edge-events"])


@pytest.fixture
def services(aws_endpoint):
    from smartalex.bootstrap import bootstrap

    return bootstrap()
