"""How many calls the edge takes at once (edge/settings.py): thirty on one extension by default,
each streaming to its agent, and a 486 beyond the cap so the PBX's ring group, queue or
voicemail takes the caller. What each call costs is measured by benchmarks/call_load.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .agents import ScriptedAgent
from .conftest import wait_for
from .office import registered

pytestmark = pytest.mark.sip


def test_one_extension_takes_thirty_calls_at_once_and_the_thirty_first_gets_486(
        control_plane, office, edge_factory, sipp_factory):
    pbx, trunk, link = office
    agent = ScriptedAgent(audio_frames=0).start()
    try:
        link(name="Scripted", kind="media_stream", stream_url=agent.url)
        edge_factory(workers=1)  # the defaults: every call of one trunk runs in its worker
        registered(control_plane, trunk)
        # 31 callers within about a second, each staying 4 s (sipp: -m calls, -l at once).
        sipp = sipp_factory("caller_no_rtp.xml", f"{pbx.host}:{pbx.port}", "-d", "4000",
                            "-m", "31", "-l", "31", "-r", "40", service="1000")
        since = datetime.now(timezone.utc) - timedelta(minutes=1)
        records = wait_for(lambda: len(r := control_plane.calls.recent(
            trunk.trunk_id, since, 50)) == 31 and r, 30, "31 call records")
        assert sipp.wait(30) == 1  # sipp's status when some of its calls failed
    finally:
        agent.stop()
    labels = [r.label for r in records]
    assert labels.count("Busy") == 1, labels
    assert agent.connections == 30
    assert all(r.answered_at is not None for r in records if r.label != "Busy")
