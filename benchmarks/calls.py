"""Call benchmark on the local stack: a real edge, Kamailio, pjsua2 phones and a WebSocket agent.

Prints, over N calls: INVITE → 200 OK at the caller, answer → first agent audio heard by the
caller, and REFER → the AI's leg gone (from the REFER reaching the caller to the AI's BYE). What a
call costs in CPU, under load, is benchmarks/call_load.py's.

    .venv/bin/python benchmarks/calls.py [--calls 10]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import local_aws  # noqa: E402
from devstack.pbx import KamailioPBX  # noqa: E402
from devstack.processes import wait_until  # noqa: E402
from devstack.run import start_edge, start_pump  # noqa: E402
from tests.integration.conftest import PhoneProcess  # noqa: E402
from tests.integration.edge.agents import ScriptedAgent  # noqa: E402

USERS = {"1000": "ai-secret", "215": "pw215", "300": "pw300"}


def phone(work: Path, pbx: KamailioPBX, user: str, *extra: str) -> PhoneProcess:
    p = PhoneProcess(["--register", f"{pbx.host}:{pbx.port}", "--user", user, "--password",
                      USERS[user], *extra], work / f"phone-{user}.log")
    p.wait_for("registered", 10)
    return p


def setup(stack: contextlib.ExitStack, work: Path, agent: ScriptedAgent):
    from smartalex.bootstrap import bootstrap
    from smartalex.domain.agent_commands import CreateAgent, LinkAgent
    from smartalex.domain.commands import CreateTrunk
    from smartalex.domain.directory_commands import CreateDirectoryEntry
    from smartalex.service_layer import agents, directory, trunks

    local_aws(stack)
    logs = work / "logs"
    logs.mkdir()
    start_pump(stack, dict(os.environ), logs)
    pbx = KamailioPBX(work / "pbx", users=USERS).start()
    stack.callback(pbx.stop)
    s = bootstrap()
    trunk = trunks.create_trunk(CreateTrunk(
        tenant_id="bench", pbx_type="asterisk", domain=pbx.host, port=pbx.port,
        extension="1000", password=USERS["1000"]), trunks=s.trunks, secrets=s.secrets)
    directory.add_entry(CreateDirectoryEntry(
        tenant_id="bench", trunk_id=trunk.trunk_id, extension="215",
        display_name="Sarah Murphy", aliases=["billing"]), trunks=s.trunks, directory=s.directory)
    linked = agents.create_agent(CreateAgent(tenant_id="bench", name="Bench",
                                             kind="media_stream", stream_url=agent.url),
                                 agents=s.agents)
    agents.link_agent(LinkAgent(tenant_id="bench", agent_id=linked.agent_id,
                                trunk_id=trunk.trunk_id), agents=s.agents, trunks=s.trunks)
    edge = start_edge(stack, dict(os.environ), logs, workers=1)
    wait_until(lambda: s.trunks.get("bench", trunk.trunk_id).registration.state == "registered",
               60, "the AI extension")
    return pbx, edge


def call_once(caller: PhoneProcess, pbx: KamailioPBX) -> tuple[float, float]:
    """(INVITE→200 s, answer→first audio s) for one call, hung up afterwards."""
    sent = time.monotonic()
    caller.send("call", uri=f"sip:1000@{pbx.host}:{pbx.port}")
    caller.wait_for("answered", 10)
    answered = time.monotonic()
    while caller.ask("levels", "levels")["rx_frames"] == 0:
        if time.monotonic() - answered > 10:
            raise RuntimeError("no agent audio within 10 s")
    heard = time.monotonic()
    caller.send("hangup")
    caller.wait_for("disconnected", 10)
    return answered - sent, heard - answered


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10)
    n = parser.parse_args().calls
    work = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    os.environ.update(SMARTALEX_STAGE="bench", SMARTALEX_EDGE_POLL_SECONDS="0.5")
    talker = ScriptedAgent(audio_frames=500).start()  # 10 s of audio per call, sent at once
    with contextlib.ExitStack() as stack:
        stack.callback(talker.stop)
        pbx, edge = setup(stack, work, talker)
        caller = phone(work, pbx, "300")
        stack.callback(caller.stop)
        timings = [call_once(caller, pbx) for _ in range(n)]

        # REFER → AI leg gone: the agent asks for "billing" once its greeting mark plays.
        talker.transfer_to, talker.audio_frames = "billing", 5
        target = phone(work, pbx, "215", "--answer-after", "0")
        stack.callback(target.stop)
        refer = []
        for _ in range(max(3, n // 3)):
            caller.send("call", uri=f"sip:1000@{pbx.host}:{pbx.port}")
            caller.expect("answered", 10)
            caller.expect("transfer_request", 10)   # the AI's REFER reached the caller
            asked = time.monotonic()
            caller.expect("disconnected", 20, by="remote")  # the AI's BYE
            refer.append(time.monotonic() - asked)
            target.wait_for("answered", 10)
            caller.send("hangup", all=True)
            target.send("hangup", all=True)
            target.expect("disconnected", 10)
            caller.expect("disconnected", 10)

    setup_times, audio_times = zip(*timings)
    print(f"calls: {n} (one worker, PCMU, agent over WebSocket on loopback)")
    for name, values in (("INVITE -> 200 OK", setup_times), ("answer -> first agent audio",
                         audio_times), ("REFER at the caller -> AI leg gone", refer)):
        print(f"{name}: p50 {statistics.median(values) * 1000:.0f} ms, "
              f"max {max(values) * 1000:.0f} ms ({len(values)} samples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
