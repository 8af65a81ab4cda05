"""The edge's media stream behaves as Twilio's (docs/agent-protocol.md, "Timing"), over real
calls: caller phone → Kamailio → edge → an agent the test drives (agents.RemoteAgent).

Caller audio flows from `start` whatever the agent does; only the WebSocket handshake has a
deadline; a silent agent keeps the call until someone hangs up or nobody has spoken for the
edge's maximum silence; the edge always says `stop` before it closes the socket; what an agent
queued before closing its socket, and the apology after a failed start, are heard in full.
"""

from __future__ import annotations

import time

import pytest

from smartalex.domain import agent_protocol as protocol
from tests.support.audio import rms, ulaw_decode, write_wav
from tests.support.audio import tone as tone_samples

from .agents import RemoteAgent, never_accepting_url, tone
from .conftest import wait_for
from .office import caller, dial_the_ai, errors, last_call, registered

pytestmark = pytest.mark.sip

FRAMES_PER_SECOND = 50


def heard_frames(phone, call: int | None = None) -> int:
    """20 ms frames with sound the caller's phone has received so far (on `call`, by default
    the newest)."""
    picked = {} if call is None else {"call": call}
    return phone.ask("levels", "levels", **picked)["rx_speech_frames"]


def sound_frames(ulaw: bytes) -> int:
    """20 ms frames of `ulaw` the phone counts as sound (tests/support/phone_media.py)."""
    pcm = ulaw_decode(ulaw)
    return sum(rms(pcm[i:i + 160]) >= 100 for i in range(0, len(pcm) - 159, 160))


def first_loud_chunk(agent: RemoteAgent) -> int:
    """The chunk number of the first caller media with sound in it (within 10 s)."""
    while True:
        media = agent.next(protocol.CallerMedia).message
        if rms(ulaw_decode(media.payload)) > 1000 or media.chunk > 10 * FRAMES_PER_SECOND:
            return media.chunk


def call_the_ai(control_plane, office, edge_factory, phone_factory, url, **edge_env):
    pbx, trunk, link = office
    link(name="Driven", kind="media_stream", stream_url=url)
    edge_factory(workers=1, **edge_env)
    registered(control_plane, trunk)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    return phone, trunk


def test_an_agent_that_has_said_nothing_hears_the_caller_from_start_and_may_greet_late(
        control_plane, office, edge_factory, phone_factory, tmp_path):
    agent = RemoteAgent().start()
    try:
        phone, trunk = call_the_ai(control_plane, office, edge_factory, phone_factory, agent.url)
        phone.send("play", wav=str(write_wav(tmp_path / "hello.wav",
                                             tone_samples((440,), 2000))))
        start = agent.next(protocol.Start)
        first = agent.next(protocol.CallerMedia)
        assert first.message.chunk == 1 and first.at - start.at < 1.0
        assert first_loud_chunk(agent) < 3 * FRAMES_PER_SECOND   # the caller's tone
        assert not any(isinstance(a.message, protocol.Stop) for a in agent.seen)
        # Seven seconds and the agent has sent nothing: the call is still up, audio flowing.
        while agent.next(protocol.CallerMedia).message.chunk < 7 * FRAMES_PER_SECOND:
            pass
        assert not any(e["event"] == "disconnected" for e in phone.events)

        agent.send(protocol.Media(tone(1.0), start.message.stream_sid))
        wait_for(lambda: heard_frames(phone) >= 45, 5, "the agent's late greeting")

        phone.send("hangup")
        phone.wait_for("disconnected", 10)
        rest = agent.until_closed()
        assert isinstance(rest[-1].message, protocol.Stop)
        assert rest[-1].message.call_sid == start.message.call_sid
        assert agent.close_code == 1000
        assert last_call(control_plane, trunk).label == "Caller hung up"
    finally:
        agent.stop()


def test_a_call_where_nobody_speaks_ends_at_the_maximum_silence_after_a_stop(
        control_plane, office, edge_factory, phone_factory, tmp_path):
    agent = RemoteAgent().start()
    try:
        phone, trunk = call_the_ai(control_plane, office, edge_factory, phone_factory, agent.url,
                                   SMARTALEX_EDGE_MAX_SILENCE_SECONDS="2")
        answered = time.monotonic()
        # The caller talks for 3 s: that is not silence, whatever the agent does.
        phone.send("play", wav=str(write_wav(tmp_path / "talk.wav", tone_samples((440,), 3000))))
        ended = phone.wait_for("disconnected", 15)
        assert ended["by"] == "remote"
        assert time.monotonic() - answered >= 4.5   # 3 s of the caller, then 2 s of nothing
        rest = agent.until_closed()
        assert isinstance(rest[-1].message, protocol.Stop) and agent.close_code == 1000
        found = wait_for(lambda: [e for e in errors(control_plane, trunk)
                                  if e.source == "agent"], 10, "the silence error")
        assert len(found) == 1 and "Nobody spoke for 2 s" in found[0].message
        assert last_call(control_plane, trunk).label == "Answered by agent"
    finally:
        agent.stop()


def test_an_agent_that_never_accepts_its_websocket_leaves_the_caller_the_whole_apology(
        control_plane, office, edge_factory, phone_factory):
    from edge.media.prompts import apology

    url, listener = never_accepting_url()
    with listener:
        phone, trunk = call_the_ai(control_plane, office, edge_factory, phone_factory, url)
        ended = phone.wait_for("disconnected", 25)
        assert ended["by"] == "remote"
        assert heard_frames(phone) >= 0.95 * sound_frames(apology())
        assert last_call(control_plane, trunk).label == "Reached us, agent never started"
        found = [e for e in errors(control_plane, trunk) if e.source == "agent"]
        assert "its WebSocket was not accepted within 5 s" in found[0].message


def test_what_an_agent_queued_before_closing_its_socket_is_heard_in_full(
        control_plane, office, edge_factory, phone_factory):
    agent = RemoteAgent().start()
    try:
        phone, trunk = call_the_ai(control_plane, office, edge_factory, phone_factory, agent.url)
        start = agent.next(protocol.Start).message
        agent.send(protocol.Media(tone(2.0), start.stream_sid))   # all at once, then gone
        agent.close()
        ended = phone.wait_for("disconnected", 10)
        assert ended["by"] == "remote"
        assert heard_frames(phone) >= 95    # the whole 2 s (100 frames), give or take jitter
        assert last_call(control_plane, trunk).label == "Answered by agent"
    finally:
        agent.stop()


def test_a_transfer_sent_behind_audio_waits_until_the_audio_has_played(
        control_plane, office, edge_factory, phone_factory):
    pbx = office[0]
    agent = RemoteAgent().start()
    try:
        target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.2")
        target.wait_for("registered", 10)
        phone, trunk = call_the_ai(control_plane, office, edge_factory, phone_factory, agent.url)
        first_call = next(e["call"] for e in phone.events if e["event"] == "answered")
        start = agent.next(protocol.Start).message
        sent = time.monotonic()
        agent.send(protocol.Media(tone(1.5), start.stream_sid), protocol.Transfer("billing"))
        accepted = agent.next(protocol.TransferOutcome)
        assert accepted.message.status is protocol.TransferStatus.ACCEPTED
        assert accepted.at - sent >= 1.4
        assert heard_frames(phone, first_call) >= 70
        assert target.wait_for("incoming", 10)["from_number"] == "300"
        assert last_call(control_plane, trunk).label == "Transferred to 215 (Sarah Murphy)"
    finally:
        agent.stop()
