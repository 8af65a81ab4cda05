"""`make run` end to end: the local stack starts from nothing, the demo trunk registers, the
HTTP API drives real registrations on the demo PBX, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from devstack.pbx import KamailioPBX, free_port

pytestmark = pytest.mark.sip
ROOT = Path(__file__).resolve().parents[2]


def processes_marked(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (every process the stack started inherits it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker.encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


class LocalStack:
    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.marker = f"SMARTALEX_STATE_DIR={state_dir}"
        self.pbx_port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST")}
        env.update(SMARTALEX_STATE_DIR=str(state_dir), SMARTALEX_AWS_PORT=str(free_port()),
                   SMARTALEX_API_PORT=str(free_port()), SMARTALEX_PBX_PORT=str(self.pbx_port),
                   SMARTALEX_STAGE="e2e", SMARTALEX_EDGE_POLL_SECONDS="0.5", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "devstack", "run"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r} in {timeout}s:\n"
                                     + "\n".join(self.output))
            if line is None:
                raise AssertionError("make run exited early:\n" + "\n".join(self.output))
            self.output.append(line)
            if line.startswith(prefix):
                return line

    def log_files(self) -> list[Path]:
        """The stack's own logs and the demo PBX's, for failure reports."""
        return [*sorted((self.state_dir / "logs").glob("*.log")),
                self.state_dir / "pbx" / "kamailio.log"]

    def interrupt(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from devstack.runtime_policies import templates

    templates()  # a clean clone synthesizes the runtimes' IAM policies here, not in the 120 s
    local = LocalStack(tmp_path_factory.mktemp("state"))
    try:
        local.api_url = local.read_until("API_URL=", 120).split("=", 1)[1]
        token = local.read_until("API_TOKEN=", 10).split("=", 1)[1]
        local.api = requests.Session()
        local.api.headers["Authorization"] = f"Bearer {token}"
        local.pbx = KamailioPBX(local.state_dir / "pbx", port=local.pbx_port, users={})
        local.users = json.loads((local.state_dir / "demo-pbx-users.json").read_text())
        yield local
    finally:
        if local.proc.poll() is None:
            os.killpg(local.proc.pid, signal.SIGKILL)
        for pid in processes_marked(local.marker):
            os.kill(pid, signal.SIGKILL)


def wait_registration(stack, trunk_id, state, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        registration = stack.api.get(f"{stack.api_url}/v1/trunks/{trunk_id}").json()["registration"]
        if registration["state"] == state:
            return registration
        assert time.monotonic() < deadline, f"still {registration} after {timeout}s"
        time.sleep(0.1)


def test_make_run_registers_the_demo_trunk_and_prints_the_api_url_and_token(stack):
    assert "Demo trunk: Registered as ext 1000" in stack.output
    assert stack.api_url.startswith("http://127.0.0.1:")
    trunks = stack.api.get(f"{stack.api_url}/v1/trunks").json()["trunks"]
    assert [t["registration"]["label"] for t in trunks] == ["Registered as ext 1000"]
    assert len(stack.pbx.contacts("1000")) == 1


def test_through_the_http_api_a_wrong_password_fails_then_patch_registers_then_delete_unregisters(stack):
    body = {"pbx_type": "asterisk", "domain": "127.0.0.1", "port": stack.pbx_port,
            "extension": "215", "password": "not-the-password"}
    created = stack.api.post(f"{stack.api_url}/v1/trunks", json=body)
    assert created.status_code == 201, created.text
    trunk_id = created.json()["id"]
    failed = wait_registration(stack, trunk_id, "failed", timeout=5)
    assert failed["label"] == "Failed" and failed["error"].startswith("Authentication required")

    fixed = stack.api.patch(f"{stack.api_url}/v1/trunks/{trunk_id}",
                            json={"password": stack.users["215"]})
    assert fixed.status_code == 200, fixed.text
    assert wait_registration(stack, trunk_id, "registered", timeout=5)["label"] == \
        "Registered as ext 215"
    assert stack.pbx.wait_for_contact("215")

    again = stack.api.post(f"{stack.api_url}/v1/trunks/{trunk_id}/reregister")
    assert again.status_code == 202
    wait_registration(stack, trunk_id, "registered", timeout=5)

    assert stack.api.delete(f"{stack.api_url}/v1/trunks/{trunk_id}").status_code == 204
    assert stack.pbx.wait_for_contact("215", present=False, timeout=10) == []


def test_a_desk_phone_dials_the_ai_keys_2_1_5_and_sarahs_phone_rings_with_the_callers_number(
        stack, tmp_path):
    from tests.integration.conftest import PhoneProcess

    def phone(user, *extra):
        p = PhoneProcess(["--register", f"127.0.0.1:{stack.pbx_port}", "--user", user,
                          f"--password={stack.users[user]}", *extra], tmp_path / f"{user}.log")
        p.wait_for("registered", 10)
        return p

    sarah, desk = phone("215", "--answer-after", "0.5"), phone("300")
    try:
        desk.send("call", uri=f"sip:1000@127.0.0.1:{stack.pbx_port}")
        desk.wait_for("answered", 10)
        deadline = time.monotonic() + 20
        while desk.ask("levels", "levels")["rx_speech_frames"] < 10:  # the greeting
            assert time.monotonic() < deadline, "no greeting from the receptionist"
            time.sleep(0.1)
        desk.send("dtmf", digits="215", method="rfc4733")
        assert sarah.wait_for("incoming", 30)["from_number"] == "300"
        desk.wait_for("disconnected", 15)
    finally:
        sarah.stop()
        desk.stop()


def _read(pid: int, name: str) -> bytes:
    try:
        return (Path("/proc") / str(pid) / name).read_bytes()
    except OSError:
        return b""


def test_each_runtime_process_signs_as_its_own_iam_user_and_none_was_refused(stack):
    import boto3

    # The edge's workers (multiprocessing spawn) and receptionist inherit the edge's keys.
    runtimes = {b"chalice\0local": "api", b"-m\0edge\0": "edge", b"multiprocessing.spawn": "edge",
                b"edge.agents.receptionist": "edge", b"devstack\0pump": "edge-events"}
    keys: dict[str, set[tuple[str, str]]] = {}
    endpoint = None
    for pid in processes_marked(stack.marker):
        cmdline = _read(pid, "cmdline") + b"\0"
        env = dict(line.split("=", 1) for line in _read(pid, "environ").decode().split("\0")
                   if "=" in line)
        for marker, runtime in runtimes.items():
            if marker in cmdline:
                keys.setdefault(runtime, set()).add((env["AWS_ACCESS_KEY_ID"],
                                                     env["AWS_SECRET_ACCESS_KEY"]))
                endpoint = env["AWS_ENDPOINT_URL"]  # make run sets it for its children
    assert set(keys) == set(runtimes.values()), keys.keys()
    assert all(len(pairs) == 1 for pairs in keys.values()), keys.keys()  # one key per runtime
    for runtime, [(key, secret)] in keys.items():
        sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=key, aws_secret_access_key=secret)
        assert sts.get_caller_identity()["Arn"].endswith(f":user/smartalex-e2e-{runtime}")
    # Everything the tests above made the stack do, its roles allowed.
    log = (stack.state_dir / "logs" / "aws.log").read_text(errors="replace")
    assert "AccessDenied:" not in log, [line for line in log.splitlines() if "AccessDenied" in line]


def test_ctrl_c_stops_everything_make_run_started(stack):
    assert len(processes_marked(stack.marker)) >= 4  # runner, API, edge (+ workers), Kamailio
    assert stack.interrupt() == 0
    deadline = time.monotonic() + 10
    while processes_marked(stack.marker):
        assert time.monotonic() < deadline, f"left behind: {processes_marked(stack.marker)}"
        time.sleep(0.1)
