"""Real Pipecat pipelines (pipecat-ai, no cloud services) answer real calls: caller phone →
Kamailio → edge → a Pipecat bot (pipecat_bots.py) built with smartalex.pipecat, and Pipecat's
own Twilio example's bot with auto_hang_up=False."""

from __future__ import annotations

import json

import pytest

from tests.support.audio import render_speech

from .conftest import wait_for
from .office import caller, dial_the_ai, last_call, registered
from .pipecat_bots import BotServer, sound_frames
from .test_agent_parity import heard_frames

pytestmark = pytest.mark.sip


@pytest.fixture
def bot_server(tmp_path):
    server = BotServer(tmp_path).start()
    yield server
    server.stop()


def call_the_bot(control_plane, office, edge_factory, phone_factory, url):
    pbx, trunk, link = office
    link(name="Pipecat bot", kind="media_stream", stream_url=url)
    edge_factory(workers=1)
    registered(control_plane, trunk)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    return phone, trunk


def events(sent: list[str]) -> list[str]:
    return [json.loads(data)["event"] for data in sent]


def test_a_pipecat_bot_is_interrupted_by_the_caller_and_transfers_them_with_its_tool(
        control_plane, office, edge_factory, phone_factory, bot_server, tmp_path):
    bots = bot_server.bots
    target = phone_factory(office[0], "215", "pw215", "udp", "--answer-after", "0.2")
    target.wait_for("registered", 10)
    phone, trunk = call_the_bot(control_plane, office, edge_factory, phone_factory,
                                f"{bot_server.base}/smartalex/transfer")
    first_call = next(e["call"] for e in phone.events if e["event"] == "answered")
    wait_for(lambda: heard_frames(phone) >= 25, 10, "the bot's greeting")
    phone.send("play", wav=str(render_speech("billing please", tmp_path / "billing.wav")))

    assert target.wait_for("incoming", 20)["from_number"] == "300"   # the caller, put through
    phone.wait_for("disconnected", 10, call=first_call)
    assert last_call(control_plane, trunk).label == "Transferred to 215 (Sarah Murphy)"
    assert bots.finished.wait(10), "the pipeline did not end with the call"
    assert bots.caller_loud_frames >= 10                  # the caller's voice reached the bot
    sent = events(bots.sent)
    assert "clear" in sent and sent.index("clear") < sent.index("transfer")   # barge-in first
    assert heard_frames(phone, first_call) < 0.6 * sound_frames(bots.greeting)  # it cut the greeting
    assert bots.tool_results == [{"status": "completed", "transferred_to": "Sarah Murphy"}]


def test_a_pipecat_bot_hangs_up_by_ending_its_pipeline_after_its_goodbye_is_heard(
        control_plane, office, edge_factory, phone_factory, bot_server):
    bots = bot_server.bots
    phone, trunk = call_the_bot(control_plane, office, edge_factory, phone_factory,
                                f"{bot_server.base}/smartalex/goodbye")
    ended = phone.wait_for("disconnected", 20)
    assert ended["by"] == "remote"                          # the bot's side hung up
    assert bots.finished.wait(10)
    assert heard_frames(phone) >= 0.95 * sound_frames(bots.goodbye)   # the whole goodbye first
    assert last_call(control_plane, trunk).label == "Answered by agent"


def test_a_caller_hanging_up_ends_the_pipecat_pipeline(
        control_plane, office, edge_factory, phone_factory, bot_server, tmp_path):
    bots = bot_server.bots
    phone, _ = call_the_bot(control_plane, office, edge_factory, phone_factory,
                            f"{bot_server.base}/smartalex/listen")
    wait_for(lambda: heard_frames(phone) >= 25, 10, "the bot's greeting")
    phone.send("hangup")
    phone.wait_for("disconnected", 10)
    assert bots.finished.wait(10), "the pipeline outlived the call"


def test_pipecats_own_twilio_bot_gets_and_sends_audio_unchanged_but_for_auto_hang_up(
        control_plane, office, edge_factory, phone_factory, bot_server, tmp_path):
    bots = bot_server.bots
    phone, _ = call_the_bot(control_plane, office, edge_factory, phone_factory,
                            f"{bot_server.base}/twilio")
    wait_for(lambda: heard_frames(phone) >= 50, 10, "the bot's greeting")
    phone.send("play", wav=str(render_speech("hello there", tmp_path / "hello.wav")))
    wait_for(lambda: bots.caller_loud_frames >= 10, 10, "the caller's voice at the bot")
    phone.send("hangup")
    phone.wait_for("disconnected", 10)
    assert bots.finished.wait(10)

