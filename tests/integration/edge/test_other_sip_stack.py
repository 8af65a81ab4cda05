"""Calls with baresip at the far end: a second SIP stack (libre, not pjsip), so what the edge
does is not only what pjsua2 expects of pjsua2."""

from __future__ import annotations

import pytest

from .agents import ScriptedAgent
from .office import last_call, registered

pytestmark = pytest.mark.sip


def test_a_baresip_caller_is_transferred_by_the_ai_and_calls_the_target_itself(
        control_plane, office, edge_factory, phone_factory, baresip_factory):
    """Kamailio is a proxy: the AI's REFER reaches the caller's own phone, baresip here."""
    pbx, trunk, link = office
    agent = ScriptedAgent(transfer_to="billing").start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)
        registered(control_plane, trunk)
        target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.2")
        target.wait_for("registered", 10)
        caller = baresip_factory(pbx, "300", "pw300")

        caller.send("dial", f"sip:1000@{pbx.host}:{pbx.port}")
        caller.wait_for("CALL_ESTABLISHED", 10)
        start = agent.messages_until("start")[-1]["start"]["customParameters"]
        assert start["from_number"] == "300"
        agent.messages_until("media")  # baresip's audio reaches the agent
        agent.messages_until("transfer", status="completed", timeout=20)

        assert target.wait_for("incoming", 10)["from_number"] == "300"
        target.wait_for("answered", 10)
        assert last_call(control_plane, trunk).label == "Transferred to 215 (Sarah Murphy)"
    finally:
        agent.stop()
