"""The whole local AWS endpoint stalls (SIGSTOP), as when DynamoDB and SQS stop answering: the
edge's health check stays green and a call in progress goes on. Before, the health file was
written by the supervisor's loop, which waits on AWS: after 15 s the edge read unhealthy, and
ECS would have replaced every edge of the fleet at once, cutting every call."""

from __future__ import annotations

import os
import queue
import signal
import time

import pytest

from edge.health import STALE_AFTER, check
from edge.settings import EdgeSettings

from .agents import ScriptedAgent
from .office import caller, dial_the_ai, registered, routes_to

pytestmark = pytest.mark.sip
STALL = STALE_AFTER + 5


def media_frames(agent: ScriptedAgent) -> int:
    count = 0
    while True:
        try:
            count += agent.received.get_nowait().get("event") == "media"
        except queue.Empty:
            return count


def test_a_stalled_control_plane_leaves_the_edge_healthy_and_its_call_up(
        control_plane, office, edge_factory, phone_factory, aws_endpoint):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=5).start()
    try:
        edge = edge_factory(workers=1)
        routes_to(edge, link(name="Scripted", kind="media_stream", stream_url=agent.url))
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        agent.messages_until("start", timeout=10)
        health = EdgeSettings(edge_id="health-check", health_file=edge.health_file)
        assert check(health) == []

        os.kill(aws_endpoint["pid"], signal.SIGSTOP)
        try:
            media_frames(agent)
            stalled_until = time.monotonic() + STALL
            while time.monotonic() < stalled_until:
                assert check(health) == [], "unhealthy while only AWS stalled"
                time.sleep(0.5)
            assert media_frames(agent) > 10 * STALL, "the caller's audio kept reaching the agent"
        finally:
            os.kill(aws_endpoint["pid"], signal.SIGCONT)
        phone.send("hangup")
        phone.wait_for("disconnected", 10)
        assert edge.proc.poll() is None and check(health) == []
    finally:
        agent.stop()
