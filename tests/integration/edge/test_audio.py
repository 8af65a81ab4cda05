"""Audio both ways: what the edge tells Diagnostics when audio does not flow, and that a call
whose audio flows both ways (with RTCP reports from the other side) raises nothing."""

from __future__ import annotations

import time

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import caller, dial_the_ai, errors, registered, routes_to

pytestmark = pytest.mark.sip


def media_errors(control_plane, trunk):
    return [e for e in errors(control_plane, trunk) if e.source == "media"]


def test_audio_from_the_pbx_that_stops_mid_call_is_reported_with_its_own_hint(
        control_plane, office, edge_factory, sipp_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=0).start()
    try:
        edge = edge_factory(workers=1)
        routes_to(edge, link(name="Scripted", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        sipp = sipp_factory("caller_rtp_then_silence.xml", f"{pbx.host}:{pbx.port}",
                            "-d", "20000", service="1000")
        stopped = wait_for(lambda: media_errors(control_plane, trunk), 35,
                           "the stopped-audio error")
        assert len(stopped) == 1  # audio did arrive first: no "no audio" error
        assert stopped[0].message.startswith("Audio from the PBX stopped 7 s into the call") \
            or stopped[0].message.startswith("Audio from the PBX stopped 8 s into the call")
        assert "no RTP for 15 s" in stopped[0].message
        assert "NAT or firewall" in stopped[0].hint and "silence suppression" in stopped[0].hint
        assert sipp.wait(40) == 0
    finally:
        agent.stop()


def test_a_call_with_audio_and_rtcp_both_ways_reports_no_media_problem(
        control_plane, office, edge_factory, phone_factory):
    """pjsua's phone sends RTP and RTCP with reports about our stream: past the time the
    not-reaching rule looks (12 s), nothing is said."""
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=1000).start()  # 20 s of the AI talking
    try:
        edge = edge_factory(workers=1)
        routes_to(edge, link(name="Scripted", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        until = time.monotonic() + 16
        while time.monotonic() < until:
            assert phone.ask("levels", "levels")["rx_packets"] >= 0
            time.sleep(1)
        assert phone.ask("levels", "levels")["rx_packets"] > 500  # the AI's audio arrived
        phone.send("hangup")
        phone.wait_for("disconnected", 10)
        assert media_errors(control_plane, trunk) == []
    finally:
        agent.stop()
