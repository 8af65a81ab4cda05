"""The edge as an attacker finds it: its SIP port is on the internet, so anyone can send it
INVITEs, REFERs and challenges. On Linux all of 127.0.0.0/8 is loopback, so 127.0.0.5 plays a
host that is not the PBX (the PBX, its phones and the edge are on 127.0.0.1).

Each attack is a sipp scenario (tests/support/sipp) that passes only when the edge refuses; the
tests then check that nothing was done on the attacker's behalf and that a real call still
works and is the only thing Diagnostics shows."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

from devstack.pbx import free_port

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import TENANT, caller, dial_the_ai, last_call, registered, routes_to

pytestmark = pytest.mark.sip

OUTSIDER = "127.0.0.5"


def edge_port() -> int:
    """A port free for UDP and TCP, with the next one free for TLS (SIP_PORT_BASE's pair)."""
    for _ in range(50):
        port = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tls:
                tls.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port pair")


class Listener:
    """A UDP socket on the outsider's host: where an attacker wants the edge to call."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((OUTSIDER, 0))
        self.sock.setblocking(False)
        self.uri = f"sip:999@{OUTSIDER}:{self.sock.getsockname()[1]}"

    def received(self) -> list[bytes]:
        packets = []
        while True:
            try:
                packets.append(self.sock.recv(65535))
            except BlockingIOError:
                return packets

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener():
    target = Listener()
    yield target
    target.close()


@pytest.fixture
def ai(office, edge_factory):
    """The office's AI extension registered by an edge on a known port, with a scripted agent."""
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=5, hang_up_after_greeting=False).start()
    port = edge_port()
    edge = edge_factory(workers=1, SMARTALEX_EDGE_SIP_PORT_BASE=str(port))
    routes_to(edge, link(name="Scripted", kind="media_stream", stream_url=agent.url))
    yield pbx, trunk, edge, port, agent
    agent.stop()


def records(control_plane, trunk):
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    return (control_plane.calls.recent(trunk.trunk_id, since, 20),
            control_plane.errors.recent(trunk.trunk_id, since, 20))


def a_real_call_still_works(control_plane, pbx, trunk, phone_factory):
    """A call through the PBX is answered and recorded: everything before it is on record by
    then (the edge handles requests in order), so what is missing now was never recorded."""
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    phone.send("hangup")
    phone.wait_for("disconnected", 10)
    return last_call(control_plane, trunk)


def test_a_direct_invite_and_refer_from_outside_are_refused_and_leave_no_trace(
        control_plane, ai, sipp_factory, phone_factory, listener):
    pbx, trunk, edge, port, agent = ai
    registered(control_plane, trunk)
    sipp = sipp_factory("outsider_invite_then_refer.xml", f"127.0.0.1:{port}",
                        "-key", "target", listener.uri, service="1000", local_ip=OUTSIDER)
    assert sipp.wait(20) == 0, "the edge did not answer both the INVITE and the REFER with 403"
    assert agent.connections == 0  # nothing was streamed to the tenant's agent

    call = a_real_call_still_works(control_plane, pbx, trunk, phone_factory)
    calls, errors = records(control_plane, trunk)
    assert [c.call_id for c in calls] == [call.call_id]
    assert call.caller.number == "300"  # not the outsider's "Your Bank"
    assert errors == []
    assert listener.received() == []  # the edge never dialled the Refer-To
    assert "request from outside the PBX refused" in edge.log_text()


def test_a_refer_inside_a_real_call_is_refused_and_never_followed(
        control_plane, ai, sipp_factory, listener):
    pbx, trunk, edge, port, agent = ai
    registered(control_plane, trunk)
    sipp = sipp_factory("caller_refers.xml", f"{pbx.host}:{pbx.port}",
                        "-key", "target", listener.uri, service="1000")
    assert sipp.wait(20) == 0, "the REFER was not refused with 403"
    record = last_call(control_plane, trunk)  # the caller hung up right after the 403
    assert record.caller.number == "sipp" and "ransfer" not in record.label
    _, errors = records(control_plane, trunk)
    assert [e.message for e in errors] == [
        "A transfer request (REFER) sent to the AI during this call was refused."]
    assert listener.received() == []


@pytest.mark.parametrize("realm", ["evil", "smartalex-test"])  # a stranger's, and the PBX's own
def test_a_challenge_of_the_ais_bye_gets_no_digest_answer(
        control_plane, office, edge_factory, sipp_factory, tmp_path, realm):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=5, hang_up_after_greeting=True).start()
    try:
        edge = edge_factory(workers=1)
        routes_to(edge, link(name="Hangs up", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        sipp = sipp_factory("caller_challenges_bye.xml", f"{pbx.host}:{pbx.port}",
                            "-key", "realm", realm, service="1000")
        assert sipp.wait(30) == 0
        messages = (tmp_path / "sipp-0.msg").read_text(errors="replace")
        assert "407 Proxy Authentication Required" in messages  # the challenge was sent
        assert "Proxy-Authorization" not in messages
        assert 'response="' not in messages
        assert last_call(control_plane, trunk).label == "Answered by agent"
        assert "challenge not answered" in edge.log_text()
    finally:
        agent.stop()


PATTERN = 0x2A  # a μ-law byte no silence or comfort noise ever is


def rtp_packets(count: int, ssrc: int = 0x5AFE5AFE):
    for seq in range(count):
        header = bytes([0x80, 0x00]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big")
        yield header + ssrc.to_bytes(4, "big") + bytes([PATTERN]) * 160


def test_rtp_from_anyone_but_the_sdps_peer_never_reaches_the_agent(
        control_plane, ai, sipp_factory, tmp_path):
    """pjmedia latches on to the first RTP source it hears: before the caller's first packet a
    stranger who finds the port could talk into the call and receive the AI's audio."""
    import base64
    import time

    pbx, trunk, edge, port, agent = ai
    registered(control_plane, trunk)
    portfile = tmp_path / "edge-rtp-port"
    sipp = sipp_factory("caller_silent_media_port.xml", f"{pbx.host}:{pbx.port}", "-d", "4000",
                        "-key", "portfile", str(portfile), service="1000")
    rtp_port = int(wait_for(lambda: portfile.exists() and portfile.read_text().strip(), 10,
                            "the edge's answer with its RTP port"))
    agent.messages_until("start")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as injector:
        injector.bind((OUTSIDER, 0))
        ours = injector.getsockname()
        for packet in rtp_packets(100):  # 2 s of audio, paced like a phone
            injector.sendto(packet, ("127.0.0.1", rtp_port))
            time.sleep(0.02)
        injector.setblocking(False)
        try:
            echoed = injector.recv(2048)
        except BlockingIOError:
            echoed = b""
    assert sipp.wait(20) == 0
    media = [base64.b64decode(m["media"]["payload"])
             for m in agent.messages_until("stop", timeout=10) if m["event"] == "media"]
    assert media, "the agent got no caller audio at all"
    injected = [frame for frame in media if frame.count(PATTERN) > len(frame) // 2]
    assert injected == [], f"{len(injected)} frames of the stranger's audio reached the agent"
    assert echoed == b"", f"the edge sent its audio to the stranger at {ours}"


def final_transfers(agent) -> list[str]:
    """Every final transfer status the agent was told, in order (drains what it received)."""
    statuses = []
    while not agent.received.empty():
        message = agent.received.get()
        if message.get("event") == "transfer" \
                and message["transfer"]["status"] in ("completed", "failed"):
            statuses.append(message["transfer"]["status"])
    return statuses


def test_the_refer_path_twenty_times_never_kills_the_worker(
        control_plane, office, edge_factory, sipp_factory, listener):
    """Refused REFERs and the AI's own transfers, completed and failed, against one worker.
    (Before REFERs were refused, pjsua reused the call's object for the transferred leg and
    the worker crashed once a leg ended: docs/measurements/pjsua2-build.md.) The callers are
    sipp scenarios acting as a B2BUA PBX (tests/support/sipp/caller_carries_out_refer.xml)."""
    import json

    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=2, transfer_to="billing",
                          hang_up_after_transfer_failure=True).start()
    try:
        edge = edge_factory(workers=1)
        routes_to(edge, link(name="Transfers", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        pid = json.loads(edge.health_file.read_text())["workers"][0]["pid"]
        runs = [("caller_carries_out_refer.xml", "-key", "outcome", "200 OK"),
                ("caller_carries_out_refer.xml", "-key", "outcome", "404 Not Found"),
                ("caller_refers.xml", "-key", "target", listener.uri),
                ("caller_refers.xml", "-key", "target", listener.uri)] * 5
        for scenario, *keys in runs:
            sipp = sipp_factory(scenario, f"{pbx.host}:{pbx.port}", *keys, service="1000")
            assert sipp.wait(30) == 0, f"{scenario} {keys}"
        health = json.loads(edge.health_file.read_text())["workers"][0]
        assert (health["pid"], health["alive"]) == (pid, True)
        assert "worker died" not in edge.log_text()
        assert final_transfers(agent) == ["completed", "failed"] * 5
        assert listener.received() == []
    finally:
        agent.stop()


def test_a_pbx_node_listed_in_pbx_source_addresses_may_call_the_ai(
        control_plane, ai, sipp_factory):
    """A PBX that sends calls from another node than its registrar: the admin lists it."""
    from smartalex.domain.commands import UpdateTrunk
    from smartalex.service_layer import trunks as trunk_cases

    pbx, trunk, edge, port, agent = ai
    trunk_cases.update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id,
                                         pbx_source_addresses=[OUTSIDER]),
                             trunks=control_plane.trunks, secrets=control_plane.secrets)
    wait_for(lambda: (t := control_plane.trunks.get(TENANT, trunk.trunk_id)).generation == 2
             and t.registration.state == "registered", 15, "the trunk re-registered")
    sipp = sipp_factory("caller_no_rtp.xml", f"127.0.0.1:{port}", "-d", "1000",
                        service="1000", local_ip=OUTSIDER)
    assert sipp.wait(20) == 0, "the listed PBX node's call was not answered"
    assert last_call(control_plane, trunk).caller.number == "sipp"


def test_pjsuas_log_holds_no_credentials_at_its_most_verbose(
        control_plane, tmp_path, edge_factory, phone_factory):
    """At SMARTALEX_EDGE_PJSIP_LOG_LEVEL=6 pjsua prints every SIP message it sends: the
    challenged REGISTERs and the REFER a 3CX-like PBX challenges carry digest answers."""
    import secrets

    from devstack.pbx import KamailioPBX
    from smartalex.domain.commands import CreateTrunk
    from smartalex.domain.directory_commands import CreateDirectoryEntry
    from smartalex.service_layer import directory as directory_cases
    from smartalex.service_layer import trunks as trunk_cases

    password = secrets.token_hex(12)
    users = {"1000": password, "300": "pw300", "215": "pw215"}
    with KamailioPBX(tmp_path / "pbx", users=users, challenge_refer=True) as pbx:
        trunk = trunk_cases.create_trunk(CreateTrunk(
            tenant_id=TENANT, pbx_type="3cx", domain=pbx.host, port=pbx.port, extension="1000",
            password=password), trunks=control_plane.trunks, secrets=control_plane.secrets)
        directory_cases.add_entry(CreateDirectoryEntry(
            tenant_id=TENANT, trunk_id=trunk.trunk_id, extension="215",
            display_name="Sarah Murphy", aliases=["billing"]),
            trunks=control_plane.trunks, directory=control_plane.directory)
        agent = ScriptedAgent(audio_frames=2, transfer_to="billing").start()
        try:
            from smartalex.domain.agent_commands import CreateAgent, LinkAgent
            from smartalex.service_layer import agents as agent_cases

            created = agent_cases.create_agent(CreateAgent(
                tenant_id=TENANT, name="A", kind="media_stream", stream_url=agent.url),
                agents=control_plane.agents)
            agent_cases.link_agent(LinkAgent(tenant_id=TENANT, agent_id=created.agent_id,
                                             trunk_id=trunk.trunk_id),
                                   agents=control_plane.agents, trunks=control_plane.trunks)
            edge = edge_factory(workers=1, SMARTALEX_EDGE_PJSIP_LOG_LEVEL="6")
            routes_to(edge, created)
            registered(control_plane, trunk)
            target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.2")
            target.wait_for("registered", 10)
            phone = caller(phone_factory, pbx)
            dial_the_ai(phone, pbx)
            phone.wait_for("answered", 10)
            agent.messages_until("transfer", status="completed", timeout=20)
            assert "REFER authenticated as 1000" in pbx.log_tail(100_000)  # it was challenged
        finally:
            agent.stop()
        log = edge.log_text()
    assert "REGISTER sip:" in log and "REFER sip:" in log  # the messages are in the log...
    assert "Authorization: <redacted>" in log               # ...with their credentials out
    assert password not in log
    assert 'response="' not in log.replace('response="<redacted>"', "")


def test_a_flood_from_outside_gets_a_few_403s_then_silence_and_calls_still_work(
        control_plane, ai, phone_factory):
    """2,000 OPTIONS in a burst from one outsider: answered only up to the per-source rate
    (edge/inbound_policy.py), and the PBX's calls are not disturbed."""
    import time

    from edge.inbound_policy import SOURCE_BURST, SOURCE_RATE

    pbx, trunk, edge, port, agent = ai
    registered(control_plane, trunk)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as flood:
        flood.bind((OUTSIDER, 0))
        here = f"{OUTSIDER}:{flood.getsockname()[1]}"
        started = time.monotonic()
        for n in range(2000):
            flood.sendto((f"OPTIONS sip:1000@127.0.0.1:{port} SIP/2.0\r\n"
                          f"Via: SIP/2.0/UDP {here};branch=z9hG4bKflood{n}\r\n"
                          f"From: <sip:scan@{here}>;tag={n}\r\nTo: <sip:1000@127.0.0.1>\r\n"
                          f"Call-ID: flood-{n}@{OUTSIDER}\r\nCSeq: 1 OPTIONS\r\n"
                          "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode(),
                         ("127.0.0.1", port))
        call = a_real_call_still_works(control_plane, pbx, trunk, phone_factory)
        elapsed = time.monotonic() - started
        flood.setblocking(False)
        answers = []
        while True:
            try:
                answers.append(flood.recv(65535).split(b"\r\n", 1)[0])
            except BlockingIOError:
                break
    assert answers and set(answers) == {b"SIP/2.0 403 Forbidden"}
    assert len(answers) <= SOURCE_BURST + SOURCE_RATE * elapsed + 1
    assert call.label == "Caller hung up"
    assert control_plane.trunks.get(TENANT, trunk.trunk_id).registration.state == "registered"
