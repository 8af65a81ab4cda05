"""`make run` end to end: the local stack starts from nothing, the demo trunk registers, the
HTTP API drives real registrations on the demo PBX, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from devstack.pbx import free_port
from tests.support.local_stack import ROOT, LocalStack, processes_marked

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from devstack.runtime_policies import templates

    templates()  # a clean clone synthesizes the runtimes' IAM policies here, not in the 120 s
    local = LocalStack(tmp_path_factory.mktemp("state"))
    try:
        yield local.wait_ready(120)
    finally:
        local.kill()


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


def _parent(pid: int) -> int:
    stat = _read(pid, "stat").decode()
    return int(stat[stat.rindex(")") + 2:].split()[1]) if stat else 0


def test_each_runtime_process_signs_as_its_own_iam_user_and_none_was_refused(stack):
    import boto3

    # The edge's workers (multiprocessing spawn) inherit the edge's keys; the receptionist (an
    # agent) and its speech workers get none.
    runtimes = {b"chalice\0local": "api", b"-m\0edge\0": "edge", b"multiprocessing.spawn": "edge",
                b"devstack\0pump": "edge-events"}
    keys: dict[str, set[tuple[str, str]]] = {}
    endpoint = None
    marked = processes_marked(stack.marker)
    agent = {pid for pid in marked if b"agents.receptionist" in _read(pid, "cmdline")}
    while children := {pid for pid in marked if _parent(pid) in agent} - agent:
        agent |= children
    assert agent, "the receptionist is not running"
    for pid in marked:
        cmdline = _read(pid, "cmdline") + b"\0"
        env = dict(line.split("=", 1) for line in _read(pid, "environ").decode().split("\0")
                   if "=" in line)
        if pid in agent:
            assert not [k for k in env if k.startswith("AWS_")], (cmdline, sorted(env))
            continue
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


def test_make_run_writes_its_values_to_a_file_a_shell_can_source(stack):
    run_env = stack.state_dir / "run.env"
    assert run_env.stat().st_mode & 0o777 == 0o600  # the token signs in as the demo tenant
    shell = subprocess.run(["bash", "-c", f"source {run_env} && echo $API_URL $CONSOLE_URL"],
                           capture_output=True, text=True, check=True)
    assert shell.stdout.split() == [stack.api_url, stack.console_url]
    assert stack.console_url.startswith("http://127.0.0.1:") and "/#token=" in stack.console_url
    # The console's site is up, and its config points at this API.
    site = stack.console_url.split("#", 1)[0]
    assert requests.get(f"{site}config.json", timeout=5).json()["apiUrl"] == stack.api_url


def test_ctrl_c_stops_everything_make_run_started_and_the_edge_drains_cleanly(stack):
    demo = stack.api.get(f"{stack.api_url}/v1/trunks").json()["trunks"][0]
    entry = {"extension": "300", "display_name": "Front office desk", "aliases": ["desk"]}
    assert stack.api.put(f"{stack.api_url}/v1/trunks/{demo['id']}/directory/300",
                         json=entry).status_code in (200, 201)
    stack.kept = (demo["id"], entry)  # for the restart below
    assert len(processes_marked(stack.marker)) >= 4  # runner, API, edge (+ workers), Kamailio
    assert stack.interrupt() == 0
    deadline = time.monotonic() + 10
    while processes_marked(stack.marker):
        assert time.monotonic() < deadline, f"left behind: {processes_marked(stack.marker)}"
        time.sleep(0.1)
    # Stopped as a deploy stops it (SIGTERM to the supervisor alone): it drained its workers,
    # where a SIGTERM to the whole group used to crash it with an AttributeError.
    edge_log = (stack.state_dir / "logs" / "edge.log").read_text(errors="replace")
    assert '"edge stopped"' in edge_log and "Traceback" not in edge_log
    # After registrations, API calls and a call with a transfer, the terminal still shows
    # status lines only (logs are in .state/logs/): API_TOKEN does not scroll away.
    stack.read_rest()
    assert not [line for line in stack.output if line.lstrip().startswith(("{", "Traceback"))]
    assert stack.output[-1] == "Stopping…" and len(stack.output) < 20, stack.output


def test_a_restart_keeps_the_trunks_and_directories_the_last_run_made(stack):
    trunk_id, entry = stack.kept
    again = LocalStack(stack.state_dir, **{k: v for k, v in stack.env.items()
                                           if k.startswith("SMARTALEX_")})
    try:
        again.wait_ready(120)
        assert any(line.startswith("Restored the local state") for line in again.output)
        trunks = again.api.get(f"{again.api_url}/v1/trunks").json()["trunks"]
        assert [t["id"] for t in trunks] == [trunk_id]  # the same demo trunk, not a new one
        assert trunks[0]["registration"]["label"] == "Registered as ext 1000"  # its password too
        entries = again.api.get(f"{again.api_url}/v1/trunks/{trunk_id}/directory").json()
        assert entry in entries["entries"]
    finally:
        again.kill()


def test_a_port_already_in_use_is_named_before_anything_is_sent(tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL",
                                                                  "LOCALSTACK_HOST")}
        env.update(SMARTALEX_STATE_DIR=str(tmp_path), SMARTALEX_API_PORT=str(port),
                   SMARTALEX_AWS_PORT=str(free_port()))
        run = subprocess.run([sys.executable, "-m", "devstack", "run"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1
        assert f"Port {port} is taken" in run.stderr and "SMARTALEX_API_PORT" in run.stderr
        taken.settimeout(0.5)
        with pytest.raises(socket.timeout):
            taken.accept()  # nobody connected: no demo request went to what listens there
        assert not (tmp_path / "logs" / "aws.log").exists()  # nothing was started
    finally:
        taken.close()
