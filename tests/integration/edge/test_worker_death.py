"""A worker process that dies during a call (issue 12 item 7): the caller is not left in
silence, and Diagnostics lists the call as cut off by an edge failure."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import caller, dial_the_ai, errors, last_call, registered

pytestmark = pytest.mark.sip


def worker_with_calls(edge) -> dict | None:
    try:
        state = json.loads(edge.health_file.read_text())
    except (OSError, ValueError):
        return None
    return next((w for w in state["workers"] if w.get("calls")), None)


def test_a_worker_that_dies_during_a_call_hangs_up_for_the_caller_and_lists_the_call(
        control_plane, office, edge_factory, phone_factory, capsys):
    pbx, trunk, link = office
    agent = ScriptedAgent().start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge = edge_factory(workers=1)
        registered(control_plane, trunk)
        phone = caller(phone_factory, pbx)
        dial_the_ai(phone, pbx)
        phone.wait_for("answered", 10)
        agent.messages_until("start")
        worker = wait_for(lambda: worker_with_calls(edge), 10,
                          "the supervisor to know the call's dialog")

        os.kill(worker["pid"], signal.SIGKILL)
        killed = time.monotonic()
        assert phone.wait_for("disconnected", 10)["by"] == "remote"
        ended_in = time.monotonic() - killed

        record = wait_for(lambda: (lambda r: r if r and r.outcome == "edge_failed" else None)(
            last_call(control_plane, trunk)), 15, "the call's record")
        assert record.label == "Cut off: our edge failed" and record.answered_at is not None
        cut = wait_for(lambda: [e for e in errors(control_plane, trunk) if e.source == "edge"],
                       15, "the error record")
        assert "cut off" in cut[0].message and cut[0].call_id == record.call_id
        assert agent.closed.wait(5)  # its stream died with the worker (no stop: it cannot)
        # The replacement registers the extension again.
        wait_for(lambda: (lambda w: w and w["pid"] != worker["pid"] and w["alive"])(
            json.loads(edge.health_file.read_text())["workers"][0]), 10, "a new worker")
        assert pbx.wait_for_contact("1000", timeout=10)
        with capsys.disabled():
            print(f"\nworker death: the caller got our BYE {ended_in:.1f} s after the worker "
                  f"was killed (bound: the supervisor's next loop turn, docs/assignments.md)")
    finally:
        agent.stop()
