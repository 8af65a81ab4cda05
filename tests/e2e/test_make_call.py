"""For an admin without a softphone, and one whose softphone is on another computer: `make run`
with SMARTALEX_DEMO_ADDRESS puts the demo PBX and the edge on that address, and `make call`
places a real call to the AI as extension 300, hears its greeting, keys 215 and sees the
transfer ring Sarah's phone.

The address is not loopback: this host's end of a network namespace's veth pair
(tests/support/netns.py), and Sarah's softphone sits in the namespace, playing a desk on the
office LAN (the demo PBX takes calls from, and rings, the phones of its address's network)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.local_stack import ROOT, LocalStack
from tests.support.netns import FencedNamespace

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def lan():
    with FencedNamespace() as net:
        yield net


@pytest.fixture(scope="module")
def stack(tmp_path_factory, lan):
    from devstack.runtime_policies import templates

    templates()
    local = LocalStack(tmp_path_factory.mktemp("state"), SMARTALEX_DEMO_ADDRESS=lan.host_address)
    try:
        yield local.wait_ready(120)
    finally:
        local.kill()


def make_call(stack, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, **{k: v for k, v in stack.env.items() if k.startswith("SMARTALEX_")})
    return subprocess.run([sys.executable, "-m", "devstack", "call", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)


def test_the_demo_pbx_listens_on_the_chosen_address(stack, lan):
    address = lan.host_address
    assert f"Demo PBX (Kamailio) on {address}:{stack.pbx_port}," in "\n".join(stack.output)
    trunk = stack.api.get(f"{stack.api_url}/v1/trunks").json()["trunks"][0]
    assert trunk["domain"] == address
    assert trunk["registration"]["label"] == "Registered as ext 1000"


def test_make_call_hears_the_ai_and_a_keyed_extension_rings_through_the_transfer(
        stack, lan, tmp_path):
    from tests.integration.conftest import PhoneProcess

    address = lan.host_address
    # Sarah's softphone on another computer of the LAN: the namespace's address.
    sarah = PhoneProcess(["--register", f"{address}:{stack.pbx_port}", "--user", "215",
                          f"--password={stack.users['215']}", "--bind", lan.address,
                          "--answer-after", "0.5"], tmp_path / "215.log",
                         prefix=tuple(lan.run_in()))
    try:
        sarah.wait_for("registered", 10)
        recording = tmp_path / "ai.wav"
        call = make_call(stack, "--digits", "215", "--record", str(recording))
        assert call.returncode == 0, call.stdout + call.stderr
        lines = call.stdout.splitlines()
        assert lines[:4] == [f"Registered as extension 300 on the demo PBX ({address}:"
                             f"{stack.pbx_port})", "The AI answered at 1000",
                             "Heard the AI's greeting", "Keyed 215"]
        assert lines[4] == f"The AI transferred the call with a SIP REFER to <sip:215@{address}>"
        assert lines[5] in ("215 is ringing: the transfer worked",
                            "215 answered the transferred call")
        assert sarah.wait_for("incoming", 10)["from_number"] == "300"
        assert recording.stat().st_size > 8000  # a second of what the AI said, at least
    finally:
        sarah.stop()


def test_make_call_without_a_running_stack_says_so(tmp_path):
    env = dict(os.environ, SMARTALEX_STATE_DIR=str(tmp_path))
    call = subprocess.run([sys.executable, "-m", "devstack", "call"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert call.returncode == 1
    assert "start the stack with `make run` first" in call.stderr
