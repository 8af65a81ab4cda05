"""An edge told to stop (ECS's SIGTERM on a deployment or scale-in) hands its extensions over at
once and lets the calls in progress finish, up to its drain time."""

from __future__ import annotations

import time

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import TENANT, caller, dial_the_ai, errors, last_call, registered

pytestmark = pytest.mark.sip


def held_by(control_plane, trunk, edge) -> bool:
    current = control_plane.trunks.get(TENANT, trunk.trunk_id)
    lease = current.held_at(time.time())
    return lease is not None and lease.owner == edge.edge_id \
        and current.registration.state == "registered"


def call_up(control_plane, office, edge_factory, phone_factory, agent, **edge_env):
    pbx, trunk, link = office
    link(name="Scripted", kind="media_stream", stream_url=agent.url)
    edge = edge_factory(workers=1, name="old", **edge_env)
    registered(control_plane, trunk)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    agent.messages_until("start")
    return edge, phone


def test_a_stopping_edge_hands_the_extension_over_and_the_call_goes_on(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, _ = office
    agent = ScriptedAgent().start()
    try:
        old, phone = call_up(control_plane, office, edge_factory, phone_factory, agent)
        new = edge_factory(workers=1, name="new")
        old.proc.terminate()  # SIGTERM to the supervisor only, as ECS does

        # The new edge registers the extension while the old one still carries the call.
        wait_for(lambda: held_by(control_plane, trunk, new), 15,
                 "the new edge to hold and register the extension")
        assert old.proc.poll() is None, "the old edge must wait for its call"
        while not agent.received.empty():  # what arrived before the handover
            agent.received.get_nowait()
        agent.messages_until("media", timeout=5)  # the caller's audio still reaches the agent
        assert not [e for e in phone.events if e["event"] == "disconnected"]

        phone.send("hangup")
        phone.wait_for("disconnected", 10)
        assert old.proc.wait(15) == 0
        record = last_call(control_plane, trunk)
        assert record.label == "Caller hung up"  # reported after the lease went back
        assert not [e for e in errors(control_plane, trunk) if e.source == "edge"]
    finally:
        agent.stop()


def test_a_call_that_outlasts_the_drain_is_hung_up_and_listed(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, _ = office
    agent = ScriptedAgent().start()
    try:
        old, phone = call_up(control_plane, office, edge_factory, phone_factory, agent,
                             SMARTALEX_EDGE_CALL_DRAIN_SECONDS="2")
        old.proc.terminate()
        assert phone.wait_for("disconnected", 15)["by"] == "remote"
        assert old.proc.wait(15) == 0
        cut = wait_for(lambda: [e for e in errors(control_plane, trunk) if e.source == "edge"],
                       15, "the edge's error record")
        assert "shutting down" in cut[0].message and "another edge" in cut[0].hint
        assert last_call(control_plane, trunk).label == "Answered by agent"
        assert agent.messages_until("stop", timeout=5)  # told before the edge went away
    finally:
        agent.stop()


def test_a_second_signal_hangs_up_at_once(control_plane, office, edge_factory, phone_factory):
    agent = ScriptedAgent().start()
    try:
        old, phone = call_up(control_plane, office, edge_factory, phone_factory, agent)
        old.proc.terminate()
        wait_for(lambda: "draining" in old.log_text(), 10, "the drain to begin")
        old.proc.terminate()
        assert phone.wait_for("disconnected", 10)["by"] == "remote"
        assert old.proc.wait(15) == 0
        assert agent.messages_until("stop", timeout=5)  # told before the edge went away
    finally:
        agent.stop()


def test_an_edge_that_lets_the_extension_go_says_so_at_once(control_plane, office,
                                                            edge_factory):
    """With no other edge to take over, the trunk reads Connecting, waiting for one, as soon as
    the edge has un-registered: not Registered until its last expiry."""
    from datetime import datetime, timezone

    from smartalex.domain.registration import WAITING_FOR_EDGE, as_shown

    pbx, trunk, _ = office
    edge = edge_factory(workers=1)
    registered(control_plane, trunk)
    edge.proc.terminate()
    assert edge.proc.wait(15) == 0

    stored = control_plane.trunks.get(TENANT, trunk.trunk_id)
    assert (stored.registration.state, stored.registration.error) == ("connecting",
                                                                      WAITING_FOR_EDGE)
    now = datetime.now(timezone.utc)
    assert stored.held_at(now.timestamp()) is None  # handed back: the edge's lease finished
    shown = as_shown(stored.registration, stored.lease.expires_at if stored.lease else None,
                     now)  # what the API reads
    assert (shown.label("1000"), shown.error) == ("Connecting", WAITING_FOR_EDGE)
    assert pbx.contacts("1000") == []
    assert not [e for e in errors(control_plane, trunk) if e.message == WAITING_FOR_EDGE]
