"""Audio both ways: what the edge tells Diagnostics when audio does not flow, and that a call
whose audio flows both ways (with RTCP reports from the other side) raises nothing.

Our audio not reaching the PBX is played for real: the caller's phone sits in a network
namespace of the test's own (tests/support/netns.py) whose firewall drops the RTP the edge
sends while RTCP passes both ways, as a firewall or NAT that lets only some of a call's flows
through does; the phone's own RTCP receiver reports then tell the edge what it got."""

from __future__ import annotations

import time

import pytest

from smartalex.domain.edge_addresses import RTP_PORT_FIRST, RTP_PORT_LAST
from tests.support.netns import FencedNamespace

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import caller, dial_the_ai, errors, make_office, registered, routes_to

pytestmark = pytest.mark.sip


def media_errors(control_plane, trunk):
    return [e for e in errors(control_plane, trunk) if e.source == "media"]


@pytest.fixture
def fenced_office(control_plane, tmp_path):
    """The office with its PBX (and the edge, started on `net.host_address`) on the host's end
    of a veth pair, and a namespace on the other end for the caller's phone."""
    with FencedNamespace() as net:
        for pbx, trunk, link in make_office(control_plane, tmp_path, host=net.host_address,
                                            any_address=True,
                                            peers=(net.host_address, net.address)):
            yield net, pbx, trunk, link


def test_our_audio_dropped_on_its_way_to_the_pbx_is_reported_from_its_rtcp_reports(
        control_plane, fenced_office, edge_factory, phone_factory):
    """The firewall in front of the caller drops every RTP packet the edge sends (UDP from the
    edge's even media ports) and lets RTCP (the odd ports) through both ways: the caller's
    receiver reports carry nothing about our stream, which the edge reads as its audio not
    arriving, while the caller's audio reaches the edge (no "no audio" error)."""
    net, pbx, trunk, link = fenced_office
    net.block(f"ip saddr {net.host_address} udp sport {RTP_PORT_FIRST}-{RTP_PORT_LAST} "
              "udp sport & 1 == 0 counter drop")
    agent = ScriptedAgent(audio_frames=1500).start()  # 30 s of the AI talking
    try:
        edge = edge_factory(workers=1, SMARTALEX_EDGE_SIP_BIND=net.host_address)
        routes_to(edge, link(name="Scripted", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        phone = phone_factory(pbx, "300", "pw300", "udp", "--name", "Caller Phone", netns=net)
        phone.wait_for("registered", 10)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        found = wait_for(lambda: media_errors(control_plane, trunk), 30,
                         "the not-reaching error")
        assert [e.message for e in found] == [
            "Our audio is not reaching the PBX: its RTCP reports say it receives nothing (or "
            "little) of what the AI sends, so the caller hears silence."]
        assert "firewall" in found[0].hint
        assert phone.ask("levels", "levels")["rx_packets"] == 0  # none of ours got through
        dropped = int(net.counters().split("counter packets ")[1].split()[0])
        assert dropped > 500  # the edge kept sending: the firewall, not the edge, stopped it
        phone.send("hangup")
        phone.wait_for("disconnected", 10)
    finally:
        agent.stop()


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
