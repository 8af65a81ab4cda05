"""Calls to the AI extension reach the linked agent, and the AI transfers through the PBX.

Kamailio is a proxy, so the AI's REFER reaches the caller's phone, which calls the target
itself, exactly as with a PBX that passes REFER through; the target sees the original caller.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import (
    caller,
    dial_the_ai,
    errors,
    last_call,
    make_office,
    registered,
    routes_to,
)

pytestmark = pytest.mark.sip
def test_a_media_stream_agent_gets_the_call_in_twilio_format_and_transfers_by_alias(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(transfer_to="billing").start()
    try:
        linked = link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.2")
        target.wait_for("registered", 10)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)

        messages = agent.messages_until("transfer", status="completed", timeout=20)
        events = [m["event"] for m in messages]
        assert events[:3] == ["connected", "start", "media"]
        start = messages[1]
        assert start["start"]["mediaFormat"] == {"encoding": "audio/x-mulaw",
                                                 "sampleRate": 8000, "channels": 1}
        params = start["start"]["customParameters"]
        assert params["from_number"] == "300" and params["caller_name"] == "Caller Phone"
        assert params["trunk_id"] == trunk.trunk_id and params["extension"] == "1000"
        assert params["agent_id"] == linked.agent_id
        media = [m for m in messages if m["event"] == "media"]
        assert all(isinstance(m["sequenceNumber"], str) and isinstance(m["media"]["chunk"], str)
                   for m in media)
        assert [int(m["media"]["chunk"]) for m in media[:5]] == [1, 2, 3, 4, 5]
        assert {"event": "mark"} .items() <= next(m for m in messages
                                                  if m["event"] == "mark").items()
        assert "accepted" in [m["transfer"]["status"] for m in messages
                              if m["event"] == "transfer"]

        ringing = target.wait_for("incoming", 10)
        assert ringing["from_number"] == "300"        # the ORIGINAL caller, not the AI
        phone.wait_for("disconnected", 10)            # the AI's leg is gone
        record = last_call(control_plane, trunk)
        assert record.label == "Transferred to 215 (Sarah Murphy)"
        assert record.caller.number == "300" and record.caller.name == "Caller Phone"
        assert record.agent_id == linked.agent_id
        stop = agent.messages_until("stop", timeout=10)[-1]
        assert stop["stop"]["callSid"] == start["start"]["callSid"] == record.call_id
    finally:
        agent.stop()


def test_a_pbx_that_challenges_refer_gets_the_trunks_credentials(
        control_plane, tmp_path, edge_factory, phone_factory):
    """3CX answers a REFER with 407 until it carries the extension's credentials."""
    office = make_office(control_plane, tmp_path, challenge_refer=True)
    pbx, trunk, link = next(office)
    agent = ScriptedAgent(transfer_to="billing").start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.2")
        target.wait_for("registered", 10)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)

        agent.messages_until("transfer", status="completed", timeout=20)
        assert target.wait_for("incoming", 10)["from_number"] == "300"
        log = pbx.log_tail(100_000)
        assert "REFER from 1000 challenged" in log and "REFER authenticated as 1000" in log
        assert last_call(control_plane, trunk).label == "Transferred to 215 (Sarah Murphy)"
    finally:
        agent.stop()
        office.close()


def test_a_transfer_to_a_missing_extension_keeps_the_caller_with_the_agent(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(transfer_to="fax", hang_up_after_transfer_failure=True).start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        failed = agent.messages_until("transfer", status="failed", timeout=20)[-1]["transfer"]
        assert failed["extension"] == "299" and failed["sip_code"] >= 400
        record = last_call(control_plane, trunk)
        assert record.label == "Transfer failed"
        found = wait_for(lambda: [e for e in errors(control_plane, trunk)
                                  if e.source == "transfer"], 10, "the transfer error")
        assert "299 (Old Fax)" in found[0].message
    finally:
        agent.stop()


def test_an_unreachable_agent_ends_the_call_as_agent_never_started(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_url = f"ws://127.0.0.1:{closed.getsockname()[1]}/agent"
    link(name="Nobody home", kind="media_stream", stream_url=dead_url)
    edge_factory(workers=1)
    registered(control_plane, trunk)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    phone.wait_for("disconnected", 20)
    record = last_call(control_plane, trunk)
    assert record.label == "Reached us, agent never started"
    assert any(e.source == "agent" for e in errors(control_plane, trunk))


def test_a_trunk_without_an_agent_refuses_calls_with_480_until_one_is_linked(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    edge = edge_factory(workers=1)
    registered(control_plane, trunk)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    refused = phone.wait_for("disconnected", 10)
    assert (refused["code"], refused["reason"]) == (480, "No Agent Linked")
    assert last_call(control_plane, trunk).label == "Rejected: no agent linked"
    assert any("No agent linked" in e.message for e in errors(control_plane, trunk))

    agent = ScriptedAgent().start()
    try:
        routes_to(edge, link(name="Late", kind="media_stream", stream_url=agent.url))
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        agent.messages_until("start")
    finally:
        agent.stop()


def test_an_agent_linked_while_the_edge_starts_answers_the_first_call(
        control_plane, office, edge_factory, phone_factory):
    """The edge claims the trunk before its workers are up (pjsua takes a second or two to
    start); a link made in between must reach the worker with the trunk (`make run` links the
    demo receptionist just then). Whether the link lands before or after the worker is Ready
    depends on timing; tests/unit/edge/test_worker_process.py covers the first case exactly."""
    pbx, trunk, link = office
    agent = ScriptedAgent().start()
    try:
        edge = edge_factory(workers=1)
        wait_for(lambda: "trunk claimed" in edge.log_text(), 10, "the edge to claim the trunk")
        routes_to(edge, link(name="Early", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        agent.messages_until("start")
    finally:
        agent.stop()


def test_calls_beyond_the_workers_capacity_get_486(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=0).start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1, SMARTALEX_EDGE_CALLS_PER_WORKER="3")
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        for _ in range(3):
            dial_the_ai(phone, pbx)
            phone.wait_for("answered", 10)
        dial_the_ai(phone, pbx)
        assert phone.wait_for("disconnected", 10)["code"] == 486
        assert last_call(control_plane, trunk).label == "Busy"
    finally:
        agent.stop()


def test_relinking_an_agent_during_a_call_changes_only_the_next_call(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, link = office
    first, second = ScriptedAgent().start(), ScriptedAgent().start()
    try:
        link(name="First", kind="media_stream", stream_url=first.url)
        edge = edge_factory(workers=1)
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        first.messages_until("start")
        routes_to(edge, link(name="Second", kind="media_stream", stream_url=second.url))
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        second.messages_until("start")
        assert (first.connections, second.connections) == (1, 1)
        # The first call still streams to the agent it started with (fresh audio, not what
        # arrived before the relink).
        while not first.received.empty():
            first.received.get_nowait()
        first.messages_until("media", timeout=5)
    finally:
        first.stop()
        second.stop()


def test_a_call_without_rtp_is_reported_as_no_audio(control_plane, office, edge_factory,
                                                     sipp_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=0).start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        sipp = sipp_factory("caller_no_rtp.xml", f"{pbx.host}:{pbx.port}", "-d", "7000",
                            service="1000")
        found = wait_for(lambda: [e for e in errors(control_plane, trunk)
                                  if e.source == "media"], 15, "the no-audio error")
        assert "No audio" in found[0].message
        assert "UDP ports 10000–19999 (RTP)" in found[0].hint and "external IP" in found[0].hint
        assert sipp.wait(20) == 0
    finally:
        agent.stop()


def test_a_call_to_a_bound_did_reaches_the_bindings_agent_and_others_the_trunks(
        control_plane, office, edge_factory, phone_factory):
    from smartalex.domain.agent_commands import CreateAgent
    from smartalex.domain.number_commands import BindPbxExtension
    from smartalex.domain.phone_number import did_line
    from smartalex.service_layer import agents as agent_cases
    from smartalex.service_layer import numbers as number_cases

    from .office import DID, TENANT

    pbx, trunk, link = office
    main_line, sales_line = ScriptedAgent().start(), ScriptedAgent().start()
    try:
        link(name="Main", kind="media_stream", stream_url=main_line.url)
        s = control_plane
        sales = agent_cases.create_agent(CreateAgent(
            tenant_id=TENANT, name="Sales line", kind="media_stream", stream_url=sales_line.url),
            agents=s.agents)
        number_cases.bind_pbx_extension(BindPbxExtension(
            tenant_id=TENANT, trunk_id=trunk.trunk_id, extension="1000", agent_id=sales.agent_id,
            did="+353 87 123 4567"), trunks=s.trunks, agents=s.agents, numbers=s.numbers)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)

        phone.send("call", uri=f"sip:{DID}@{pbx.host}:{pbx.port}")  # To: the DID
        phone.wait_for("answered", 10)
        start = sales_line.messages_until("start")[-1]["start"]["customParameters"]
        assert start["did"] == DID and start["to_number"] == DID
        phone.send("hangup")
        phone.wait_for("disconnected", 10)

        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        main_line.messages_until("start")
        assert (main_line.connections, sales_line.connections) == (1, 1)
        since = datetime.now(timezone.utc) - timedelta(hours=1)
        on_did = wait_for(lambda: s.calls.recent(trunk.trunk_id, since, 10,
                                                 line_key=did_line(trunk.trunk_id, DID)),
                          15, "the DID call's record")
        assert [r.agent_id for r in on_did] == [sales.agent_id]
    finally:
        main_line.stop()
        sales_line.stop()


def test_the_agents_handshake_is_signed_with_its_own_secret(
        control_plane, office, edge_factory, phone_factory):
    """An agent can tell the edge from anyone else who learned its URL (docs/agent-protocol.md)."""
    import time

    from pydantic import SecretStr

    from smartalex.domain import agent_signature
    from smartalex.domain.agent_commands import CreateAgent, LinkAgent
    from smartalex.service_layer import agents as agent_cases

    from .office import TENANT

    pbx, trunk, _ = office
    agent = ScriptedAgent(audio_frames=2).start()
    secret = agent_signature.new_secret()
    try:
        created = agent_cases.create_agent(
            CreateAgent(tenant_id=TENANT, name="Signed", kind="media_stream",
                        stream_url=agent.url),
            agents=control_plane.agents, agent_secrets=control_plane.agent_secrets,
            signing_secret=SecretStr(secret))
        agent_cases.link_agent(LinkAgent(tenant_id=TENANT, agent_id=created.agent_id,
                                         trunk_id=trunk.trunk_id),
                               agents=control_plane.agents, trunks=control_plane.trunks)
        edge = edge_factory(workers=1)
        routes_to(edge, created)
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        agent.messages_until("start")
        headers = agent.handshakes[0]  # lower-cased names, as HTTP allows
        timestamp = headers[agent_signature.TIMESTAMP_HEADER.lower()]
        signature = headers[agent_signature.SIGNATURE_HEADER.lower()]
        assert agent_signature.verify(secret, agent.url, timestamp, signature, time.time())
        assert not agent_signature.verify(agent_signature.new_secret(), agent.url, timestamp,
                                          signature, time.time())
        phone.send("hangup")
        phone.wait_for("disconnected", 10)

        # A rotation applies from the next call.
        applied = edge.log_text().count("call routing applied")
        rotated = agent_cases.rotate_signing_secret(
            TENANT, created.agent_id, agents=control_plane.agents,
            agent_secrets=control_plane.agent_secrets).get_secret_value()
        wait_for(lambda: edge.log_text().count("call routing applied") > applied, 10,
                 "the edge to read the rotated secret")
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        wait_for(lambda: len(agent.handshakes) == 2, 10, "the second call's handshake")
        headers = agent.handshakes[1]
        timestamp = headers[agent_signature.TIMESTAMP_HEADER.lower()]
        signature = headers[agent_signature.SIGNATURE_HEADER.lower()]
        assert agent_signature.verify(rotated, agent.url, timestamp, signature, time.time())
        assert not agent_signature.verify(secret, agent.url, timestamp, signature, time.time())
        assert secret not in edge.log_text() and rotated not in edge.log_text()
    finally:
        agent.stop()
