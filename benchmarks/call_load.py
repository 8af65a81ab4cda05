"""Call load on the local stack: many concurrent calls through a real Kamailio to a real edge,
each streaming both ways to a WebSocket echo agent in a process of its own.

sipp places the calls (`tests/support/sipp/caller_streams.xml`: RTP every 20 ms from the
caller for the whole call); the agent (`benchmarks/echo_agent.py`) sends every frame of caller
audio back, which the edge plays to the caller. Prints the edge's CPU (supervisor and workers)
idle and with every call up, measured over `--seconds`, and so the bridge's CPU per call (SIP,
RTP, the conference bridge, the Twilio Media Streams WebSocket), next to issue 12's target of
1 % of a core; and how many calls were answered and streamed both ways.

    .venv/bin/python benchmarks/call_load.py                        # 50 calls on one extension
    .venv/bin/python benchmarks/call_load.py --calls 100 --trunks 4 # 100 on one edge, 4 workers
    .venv/bin/python benchmarks/call_load.py --calls 31 --cap 30    # the 31st gets 486
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import cpu_seconds, local_aws, process_tree  # noqa: E402
from devstack.pbx import KamailioPBX, free_media_port, free_port  # noqa: E402
from devstack.processes import wait_until  # noqa: E402
from devstack.run import start_edge, start_pump  # noqa: E402

TARGET_PER_CALL = 1.0  # % of a core (issue 12)
SCENARIO = ROOT / "tests" / "support" / "sipp" / "caller_streams.xml"
FIRST_EXTENSION = 1000


def extensions(trunks: int) -> list[str]:
    return [str(FIRST_EXTENSION + i) for i in range(trunks)]


def start_agent(stack: contextlib.ExitStack, work: Path) -> tuple[subprocess.Popen, str, Path]:
    out = work / "agent.jsonl"
    agent = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "echo_agent.py")],
                             stdout=open(out, "w"), stderr=subprocess.DEVNULL)
    stack.callback(lambda: (agent.terminate(), agent.wait(5)))
    wait_until(lambda: "listening" in out.read_text(), 10, "the echo agent")
    url = out.read_text().split()[1]
    return agent, url, out


def provision(trunks: int, pbx: KamailioPBX, agent_url: str) -> list:
    from smartalex.bootstrap import bootstrap
    from smartalex.domain.agent_commands import CreateAgent, LinkAgent
    from smartalex.domain.commands import CreateTrunk
    from smartalex.service_layer import agents, trunks as trunk_cases

    s = bootstrap()
    made = []
    for extension in extensions(trunks):
        trunk = trunk_cases.create_trunk(CreateTrunk(
            tenant_id="load", pbx_type="asterisk", domain=pbx.host, port=pbx.port,
            extension=extension, password=f"pw{extension}"), trunks=s.trunks, secrets=s.secrets)
        agent = agents.create_agent(CreateAgent(tenant_id="load", name=f"Echo {extension}",
                                                kind="media_stream", stream_url=agent_url),
                                    agents=s.agents)
        agents.link_agent(LinkAgent(tenant_id="load", agent_id=agent.agent_id,
                                    trunk_id=trunk.trunk_id), agents=s.agents, trunks=s.trunks)
        made.append(trunk)
    return made


def registered(made: list) -> None:
    from smartalex.bootstrap import bootstrap

    s = bootstrap()
    wait_until(lambda: all(s.trunks.get("load", t.trunk_id).registration.state == "registered"
                           for t in made), 60, "every extension registered")


def place_calls(stack: contextlib.ExitStack, work: Path, pbx: KamailioPBX, extension: str,
                calls: int, hold_ms: int) -> subprocess.Popen:
    folder = work / f"sipp-{extension}"
    folder.mkdir()
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law",
                    str(folder / "caller_streams.wav"), "synth", "3", "sine", "300",
                    "sine", "500"], check=True)
    cmd = ["sipp", f"{pbx.host}:{pbx.port}", "-sf", str(SCENARIO), "-s", extension,
           "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_media_port()),
           "-m", str(calls), "-l", str(calls), "-r", "20", "-d", str(hold_ms),
           "-nostdin", "-timeout", str(hold_ms // 1000 + 60), "-trace_stat", "-fd", "1",
           "-stf", str(folder / "stat.csv"), "-trace_err", "-error_file", str(folder / "err")]
    sipp = subprocess.Popen(cmd, cwd=folder, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(folder / "log", "w"))
    stack.callback(lambda: sipp.poll() is None and (sipp.terminate(), sipp.wait(10)))
    return sipp


def agent_streams(agent_log: Path) -> tuple[list[str], list[dict]]:
    """(streams started, streams stopped with their frame counts) at the echo agent."""
    events = [json.loads(line) for line in agent_log.read_text().splitlines()[1:]]
    return ([e["started"] for e in events if "started" in e],
            [e for e in events if "stream" in e])


def sipp_outcomes(work: Path) -> dict[str, int]:
    """Successful and failed calls over every sipp, from their last statistics line."""
    totals = {"successful": 0, "failed": 0, "busy": 0}
    for stat in work.glob("sipp-*/stat.csv"):
        header, *rows = [line.split(";") for line in stat.read_text().splitlines() if line]
        last = dict(zip(header, rows[-1]))
        totals["successful"] += int(last.get("SuccessfulCall(C)", 0))
        totals["failed"] += int(last.get("FailedCall(C)", 0))
        totals["busy"] += int(last.get("FailedUnexpectedMessage(C)", 0))
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--trunks", type=int, default=1, help="extensions the calls spread over")
    parser.add_argument("--workers", type=int, default=None,
                        help="edge worker processes (default: one per extension, at most 4)")
    parser.add_argument("--cap", type=int, default=None,
                        help="calls per extension (default: all of them fit)")
    parser.add_argument("--seconds", type=int, default=60, help="the measured window")
    args = parser.parse_args()
    per_trunk = -(-args.calls // args.trunks)
    cap = args.cap or per_trunk
    workers = args.workers or min(args.trunks, 4)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    os.environ.update(SMARTALEX_STAGE="bench", SMARTALEX_EDGE_POLL_SECONDS="0.5",
                      SMARTALEX_EDGE_CALLS_PER_TRUNK=str(cap),
                      SMARTALEX_EDGE_CALLS_PER_WORKER=str(max(cap, per_trunk) * args.trunks))
    if not shutil.which("sipp"):
        raise SystemExit("sipp is needed (make deps installs it)")
    with contextlib.ExitStack() as stack:
        local_aws(stack)
        logs = work / "logs"
        logs.mkdir()
        start_pump(stack, dict(os.environ), logs)
        users = {e: f"pw{e}" for e in extensions(args.trunks)}
        pbx = KamailioPBX(work / "pbx", users=users).start()
        stack.callback(pbx.stop)
        _, agent_url, agent_log = start_agent(stack, work)
        made = provision(args.trunks, pbx, agent_url)
        edge = start_edge(stack, dict(os.environ), logs, workers=workers)
        registered(made)
        health_file = logs.parent / "edge-health.json"
        wait_until(lambda: health_file.exists() and all(
            w["ready"] for w in json.loads(health_file.read_text())["workers"]), 30,
            "the edge's workers ready")
        pids = process_tree(edge.proc.pid)

        idle_start = cpu_seconds(*pids)
        time.sleep(10)  # measuring an interval, not waiting for an event
        idle = (cpu_seconds(*pids) - idle_start) / 10

        hold_ms = (args.seconds + 30) * 1000
        spread = [args.calls // args.trunks + (i < args.calls % args.trunks)
                  for i in range(args.trunks)]
        sipps = [place_calls(stack, work, pbx, extension, n, hold_ms)
                 for extension, n in zip(extensions(args.trunks), spread) if n]
        expected_up = min(args.calls, cap * args.trunks)
        wait_until(lambda: len(agent_streams(agent_log)[0]) >= expected_up, 60,
                   f"{expected_up} calls streaming to the agent")
        time.sleep(2)  # let every stream settle before measuring
        up = len(agent_streams(agent_log)[0])
        busy_start = cpu_seconds(*pids)
        time.sleep(args.seconds)  # measuring an interval
        busy = (cpu_seconds(*pids) - busy_start) / args.seconds
        for sipp in sipps:
            sipp.wait(args.seconds + 120)
        wait_until(lambda: len(agent_streams(agent_log)[1]) >= up, 30,
                   "every stream's stop at the agent")

    streams = agent_streams(agent_log)[1]
    hold = hold_ms / 1000
    both_ways = sum(1 for s in streams if s["received"] >= 0.9 * hold * 50
                    and s["sent"] >= 0.9 * hold * 50)
    outcomes = sipp_outcomes(work)
    per_call = (busy - idle) / max(up, 1) * 100
    print(f"calls placed: {args.calls} over {args.trunks} extension(s), cap {cap} per extension,"
          f" {workers} worker(s); up at once: {up}")
    print(f"sipp: {outcomes['successful']} completed, {outcomes['failed']} failed "
          f"(of which refused busy: {args.calls - expected_up} expected)")
    print(f"agent: {len(streams)} streams, {both_ways} streamed both ways for the whole call "
          f"(>= 90 % of {hold * 50:.0f} frames each way)")
    print(f"edge CPU: idle {idle * 100:.1f} %, {up} calls {busy * 100:.1f} % of a core "
          f"(over {args.seconds} s)")
    print(f"bridge CPU per call: {per_call:.2f} % of a core (target <= {TARGET_PER_CALL:.0f} %)")
    print(f"details: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
