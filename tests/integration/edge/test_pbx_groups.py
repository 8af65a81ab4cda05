"""The AI in a PBX's ring groups, hunt groups and overflows, next to people's phones.

The suite's Kamailio rings groups as a PBX does (devstack/pbx/kamailio.cfg.tmpl): a ring-all
group forks to every member and CANCELs the others with `Reason: SIP;cause=200` when one
answers; a hunt group rings one member at a time, each for a few seconds; a busy extension's
calls overflow to another. Each call's outcome is read back through the trunk's Diagnostics.
"""

from __future__ import annotations

import time

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import answer_delay, caller, errors, last_call, registered

pytestmark = pytest.mark.sip

RING_ALL, HUNT = "600", "700"


def a_person(phone_factory, pbx, *extra):
    """Reception's desk phone (extension 100)."""
    phone = phone_factory(pbx, "100", "pw100", "udp", "--name", "Reception", *extra)
    phone.wait_for("registered", 10)
    return phone


def dial(phone, pbx, number: str) -> None:
    phone.send("call", uri=f"sip:{number}@{pbx.host}:{pbx.port}")


@pytest.fixture
def agent():
    agent = ScriptedAgent(hang_up_after_greeting=True).start()
    yield agent
    agent.stop()


@pytest.fixture
def ai(control_plane, office, edge_factory, agent):
    """The AI on extension 1000 ringing 3 s before it answers."""
    pbx, trunk, link = office
    link(name="Scripted", kind="media_stream", stream_url=agent.url)
    answer_delay(control_plane, trunk, 3)
    edge = edge_factory(workers=1)
    registered(control_plane, trunk)
    return pbx, trunk, edge


def test_in_a_ring_all_group_a_person_who_answers_first_takes_the_call_answered_elsewhere(
        control_plane, ai, agent, phone_factory):
    pbx, trunk, edge = ai
    pbx.ring_all(RING_ALL, ["1000", "100"])
    person = a_person(phone_factory, pbx, "--answer-after", "0.5")
    phone = caller(phone_factory, pbx)
    dial(phone, pbx, RING_ALL)

    assert phone.wait_for("answered", 10)
    assert person.wait_for("answered", 5)
    record = last_call(control_plane, trunk)
    assert record.label == "Answered elsewhere"
    assert record.answered_at is None and record.caller.number == "300"
    assert agent.connections == 0  # the agent was never started for it
    assert "SIP;cause=200" in edge.log_text()  # the PBX's CANCEL said why
    assert not [e for e in errors(control_plane, trunk) if e.call_id == record.call_id]


def test_in_a_ring_all_group_nobody_answering_leaves_the_call_to_the_ai_after_its_delay(
        control_plane, ai, agent, phone_factory):
    pbx, trunk, _ = ai
    pbx.ring_all(RING_ALL, ["1000", "100"])
    person = a_person(phone_factory, pbx)  # rings, nobody picks up
    phone = caller(phone_factory, pbx)
    dial(phone, pbx, RING_ALL)

    phone.wait_for("ringing", 5)
    rang_at = time.monotonic()
    person.wait_for("incoming", 5)
    phone.wait_for("answered", 10)
    assert time.monotonic() - rang_at >= 2.5  # the AI let it ring for its 3 s first
    assert person.wait_for("disconnected", 5)["by"] == "remote"  # the PBX cancelled the desk
    phone.wait_for("disconnected", 15)  # the agent says its piece and hangs up
    assert last_call(control_plane, trunk).label == "Answered by agent"


def test_a_hunt_group_moves_on_from_the_ai_when_its_turn_is_over(
        control_plane, ai, agent, phone_factory):
    pbx, trunk, edge = ai
    pbx.hunt(HUNT, ["1000", "100"], 1)  # the AI first, for 1 s: less than its 3 s delay
    person = a_person(phone_factory, pbx, "--answer-after", "0.3")
    phone = caller(phone_factory, pbx)
    dial(phone, pbx, HUNT)

    assert person.wait_for("incoming", 10)["from_number"] == "300"
    phone.wait_for("answered", 5)
    record = last_call(control_plane, trunk)
    assert record.label == "No answer"
    assert agent.connections == 0
    assert "hunt group 700: member answered 408, next" in pbx.log_tail(100_000)


def test_a_busy_extension_overflows_to_the_ai_and_the_caller_hanging_up_is_listed(
        control_plane, ai, agent, phone_factory):
    pbx, trunk, _ = ai
    answer_delay(control_plane, trunk, 0)
    agent.hang_up_after_greeting = False  # the caller ends this one
    pbx.overflow("100", "1000")
    person = a_person(phone_factory, pbx)
    phone = caller(phone_factory, pbx)
    wait_for(lambda: "call routing applied" in ai[2].log_text(), 10,
             "the edge to apply the new answer delay")
    dial(phone, pbx, "100")

    person.wait_for("incoming", 5)
    person.send("hangup", code=486)  # on another call: busy
    phone.wait_for("answered", 10)
    start = agent.messages_until("start")[-1]["start"]["customParameters"]
    assert start["from_number"] == "300"
    agent.messages_until("mark")  # the agent has spoken
    phone.send("hangup")
    phone.wait_for("disconnected", 5)
    assert last_call(control_plane, trunk).label == "Caller hung up"


def test_a_caller_who_gives_up_while_the_ai_rings_is_no_answer(
        control_plane, ai, agent, phone_factory):
    pbx, trunk, _ = ai
    phone = caller(phone_factory, pbx)
    dial(phone, pbx, "1000")
    phone.wait_for("ringing", 5)
    phone.send("hangup")
    phone.wait_for("disconnected", 5)

    record = last_call(control_plane, trunk)
    assert record.label == "No answer"
    assert agent.connections == 0
    # The caller's CANCEL, as the PBX relayed it, said nothing of why.
    assert "CANCEL for 1000 relayed, Reason [<null>]" in pbx.log_tail(100_000)
