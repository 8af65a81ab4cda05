"""Edge capacity benchmark: how many registrations one edge holds, what each costs, and how fast
they come back after a restart. Real Kamailio, real edge processes, the local AWS endpoint.

Runs, in one go and against one PBX:
1. the baseline: the old shape, one trunk per worker process (`--baseline` workers);
2. the edge with many trunks per worker (`--workers` × `--trunks-per-worker`, by default as
   the CDK app deploys it) holding `--trunks` registrations: time until the PBX has them all,
   then memory (PSS) and CPU while idle for `--idle` seconds with refreshes going (the edge
   asks for `--expires` s registrations, so each is refreshed during the window);
3. a restart: SIGTERM (the edge un-registers and hands its lease back), a new edge, and the
   time until the PBX has every registration again and the API reads them all Registered.

    .venv/bin/python benchmarks/edge_capacity.py [--trunks 1000] [--workers 4]
        [--trunks-per-worker 250] [--baseline 16] [--idle 70] [--expires 120]
        [--store moto|dynalite] [--pbx-names N]

The edges poll as deployed (SMARTALEX_EDGE_POLL_SECONDS, 2 s). `--store moto` (default) keeps
everything on the local AWS endpoint of the tests and `make run`: one Python process, which a
1,000-trunk restart saturates; `--store dynalite` moves DynamoDB to dynalite (a process of its
own, devstack/dynalite.py), closer to what the edge meets in AWS, where none of these services
is the bottleneck. The edge's lease lapses and slow lease writes are printed per phase.

Prints each figure with the issue's target next to it. One PBX takes every REGISTER here, so
the edge's per-PBX REGISTER pacing (SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND) bounds the restart;
real fleets spread trunks over many PBXs.

The trunks of one PBX share its keepalive (edge/keepalive.py), which makes one PBX the
cheapest case for the idle figures. `--pbx-names N` spreads the trunks over N registrar names
(pbx-<i>.bench.test, answered by a loopback DNS server, devstack/dns.py, all pointing at
the one Kamailio), which the edge treats as N PBXs: with N = --trunks every trunk sends its
own, as a fleet of single-extension customers makes it. The REGISTER pacing stays per address.
Also printed: the OPTIONS and REGISTERs the PBX took a second while the edge was idle.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import cpu_seconds, local_aws, process_tree, pss_kib  # noqa: E402
from devstack.dns import LoopbackDns  # noqa: E402
from devstack.pbx import KamailioPBX, free_port  # noqa: E402
from devstack.processes import wait_until  # noqa: E402
from devstack.run import start_edge, start_pump  # noqa: E402

TRUNKS_PER_TENANT = 20  # the default per-tenant quota


def registered_on_pbx(pbx: KamailioPBX) -> int:
    out = pbx.kamcmd("stats.get_statistics", "registered_users")
    return int(out.split("=")[1])


def api_registered(since: datetime | None = None) -> int:
    from smartalex.adapters.dynamodb.models import TrunkModel

    return sum(1 for t in TrunkModel.scan(attributes_to_get=["reg_state", "reg_since"])
               if t.reg_state == "registered" and (since is None or t.reg_since > since))


def wait_count(count, target: int, timeout: float, what: str) -> float:
    """Seconds until `count()` reaches `target`."""
    start = time.monotonic()
    wait_until(lambda: count() >= target, timeout, what, interval=0.2)
    return time.monotonic() - start


def progress(count, target: int, timeout: float, what: str) -> tuple[float, str]:
    """(seconds until `count()` reaches `target`, how it got there): when the edge's lease was
    taken (its workers Ready) and what the PBX held every 5 s, so a slow restart says whether
    the start, the claims and reads, or the REGISTER pacing took the time."""
    start, marks, seen = time.monotonic(), [], 0
    deadline = start + timeout
    while seen < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: {seen} of {target} after {timeout:.0f} s")
        elapsed = time.monotonic() - start
        seen = count()
        if elapsed >= 5 * (len(marks) + 1):
            marks.append(f"{5 * (len(marks) + 1)} s: {seen}")
        time.sleep(0.2)
    return time.monotonic() - start, ", ".join(marks)


def lease_taken_after(log: Path, since: int, started_wall: float) -> str:
    """Seconds from `started_wall` to the edge's "edge lease acquired" log line after `since`."""
    text = log.read_text(errors="replace")[since:] if log.exists() else ""
    for line in text.splitlines():
        if "edge lease acquired" in line:
            with contextlib.suppress(ValueError, KeyError):
                at = datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
                return f"{at - started_wall:.1f} s"
    return "not logged"


def lease_trouble(log: Path, since: int) -> str:
    """What the edge's log says of its lease since byte `since`: lapses and slow writes (on a
    loaded local endpoint a renewal can take seconds; a lapse un-registers everything)."""
    text = log.read_text(errors="replace")[since:] if log.exists() else ""
    lapses = text.count("the edge's lease lapsed") + text.count("lease was finished by another")
    slow = text.count("slow edge lease write") + text.count("edge lease write failed")
    return f"edge lease: {lapses} lapse(s), {slow} slow or failed write(s)"


def log_size(log: Path) -> int:
    return len(log.read_text(errors="replace")) if log.exists() else 0


def idle_cost(root: int, seconds: float) -> tuple[float, float]:
    """(PSS MiB, cores) of the edge, its CPU averaged over `seconds`."""
    pids = process_tree(root)
    before, start = cpu_seconds(*pids), time.monotonic()
    time.sleep(seconds)
    cores = (cpu_seconds(*pids) - before) / (time.monotonic() - start)
    return sum(pss_kib(p) for p in process_tree(root)) / 1024, cores


def use_dynalite(stack: contextlib.ExitStack, work: Path):
    """DynamoDB on dynalite for this process and the ones it starts; its tables created."""
    from devstack.dynalite import Dynalite
    from smartalex.adapters.dynamodb.models import MODELS
    from smartalex.adapters.dynamodb.schema import create_tables

    server = Dynalite(free_port(), data_dir=work / "dynalite",
                      log_path=work / "dynalite.log").start()
    stack.callback(server.stop)
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.url
    for model in MODELS:
        model._connection = None  # made for moto by the provisioning
    create_tables()
    return server


def add_trunks(users: dict[str, str], pbx: KamailioPBX, names: list[str]) -> None:
    """A trunk per user, written as the API stores one (its item, its password), without the
    API's uniqueness transaction (dynalite has no TransactWriteItems); trunk i's registrar is
    `names[i % len(names)]`, at the PBX's port."""
    from smartalex.adapters.dynamodb.models import TrunkModel
    from smartalex.bootstrap import bootstrap
    from smartalex.domain.assignment import free_holder
    from smartalex.domain.messages import order_key

    services = bootstrap()
    now = datetime.now(timezone.utc)
    with TrunkModel.batch_write() as batch:
        for i, (ext, password) in enumerate(users.items()):
            trunk_id = f"trk_{secrets.token_hex(10)}"
            services.secrets.put(trunk_id, password)
            domain = names[i % len(names)]
            batch.save(TrunkModel(
                trunk_id, tenant_id=f"bench-{i // TRUNKS_PER_TENANT}", pbx_type="other",
                domain=domain, extension=ext, username=ext, transport="udp", port=pbx.port,
                generation=1, created_at=now, updated_at=now, reg_state="connecting",
                reg_order=order_key(1, 0, 0), lease_holder=free_holder(trunk_id)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trunks", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--trunks-per-worker", type=int, default=250)
    ap.add_argument("--baseline", type=int, default=16, help="one-trunk-per-process workers")
    ap.add_argument("--idle", type=float, default=70.0)
    ap.add_argument("--expires", type=int, default=120)
    ap.add_argument("--pbx-names", type=int, default=1,
                    help="spread the trunks over this many registrar names (one PBX behind "
                         "them all), which the edge treats as that many PBXs")
    ap.add_argument("--store", choices=("moto", "dynalite"), default="moto",
                    help="DynamoDB on the local AWS endpoint (moto, one Python process, as in "
                         "the tests), or on dynalite (devstack/dynalite.py), SQS and Secrets "
                         "Manager staying on moto")
    args = ap.parse_args()
    n = args.trunks
    work = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    os.environ.update(SMARTALEX_STAGE="bench",
                      SMARTALEX_EDGE_REGISTRATION_EXPIRES=str(args.expires))
    users = {str(20000 + i): secrets.token_urlsafe(8) for i in range(n)}
    with contextlib.ExitStack() as stack:
        moto = local_aws(stack)
        dynamodb = moto
        if args.store == "dynalite":
            dynamodb = use_dynalite(stack, work)
        env = dict(os.environ)
        logs = work / "logs"
        logs.mkdir()
        start_pump(stack, env, logs)
        pbx = KamailioPBX(work / "pbx", users=users).start()
        stack.callback(pbx.stop)
        names = [pbx.host]
        if args.pbx_names > 1:
            names = [f"pbx-{i}.bench.test" for i in range(args.pbx_names)]
            dns = stack.enter_context(LoopbackDns(records={name: pbx.host for name in names}))
            env["SMARTALEX_EDGE_NAMESERVERS"] = dns.address
        add_trunks(users, pbx, names)

        # 1. The baseline: one trunk per worker process.
        b = args.baseline
        base_env = dict(env, SMARTALEX_EDGE_TRUNKS_PER_WORKER="1")
        edge = start_edge(stack, base_env, logs, workers=b)
        wait_count(lambda: registered_on_pbx(pbx), b, 120, f"the baseline's {b} registrations")
        base_pss, base_cpu = idle_cost(edge.proc.pid, min(args.idle, 30.0))
        edge.stop()
        wait_until(lambda: registered_on_pbx(pbx) == 0, 30, "the baseline to un-register")
        where = "moto, one Python process" if args.store == "moto" \
            else "dynalite for DynamoDB, moto for SQS and Secrets Manager"
        say(f"edge: {args.workers} workers x {args.trunks_per_worker} trunks; {n} trunks on one "
            f"Kamailio under {len(names)} registrar name(s); registrations of {args.expires} s, "
            f"refreshed {args.expires - 60} s after each other; {os.cpu_count()} cores here")
        say(f"baseline (one trunk per process, {b} processes): {base_pss:.0f} MiB PSS = "
            f"{base_pss / b:.1f} MiB and {base_cpu * 100 / b:.3f} % of a core per registration")

        # 2. Many trunks per worker.
        many_env = dict(env, SMARTALEX_EDGE_TRUNKS_PER_WORKER=str(args.trunks_per_worker))
        edge_log = logs / "edge.log"
        mark = log_size(edge_log)
        servers = {moto.pid} | {dynamodb.pid}
        started, aws_before = time.monotonic(), cpu_seconds(*servers)
        edge = start_edge(stack, many_env, logs, workers=args.workers)
        wait_count(lambda: registered_on_pbx(pbx), n, 900, f"{n} registrations")
        cold = time.monotonic() - started  # from the edge's start, pjsua's start included
        aws_busy = (cpu_seconds(*servers) - aws_before) / cold
        say(f"cold start -> all {n} registered on the PBX: {cold:.1f} s; the local AWS endpoint "
            f"({where}) was {aws_busy * 100:.0f} % of a core busy meanwhile; "
            f"{lease_trouble(edge_log, mark)}")
        mark = log_size(edge_log)
        aws_before, idle_started = cpu_seconds(*servers), time.monotonic()
        pbx_mark = pbx.log_path.stat().st_size
        pss, cpu = idle_cost(edge.proc.pid, args.idle)
        idled = time.monotonic() - idle_started
        aws_idle = (cpu_seconds(*servers) - aws_before) / idled
        options = len(pbx.keepalives(pbx_mark)) / idled
        registers = len(pbx.registrations(pbx_mark)) / idled
        health = json.loads((logs.parent / "edge-health.json").read_text())
        per_worker = [len(w["trunks"]) for w in health["workers"]]
        say(f"held: {registered_on_pbx(pbx)} of {n} registered on the PBX after {args.idle:.0f} s "
            f"idle (target: 1,000 on a 2 vCPU task; >= 200 on the local edge); per worker: "
            f"{per_worker}")
        say(f"memory (PSS): {pss:.0f} MiB = {pss / n * 1024:.0f} KiB per registration, "
            f"{base_pss / b / (pss / n):.0f}x less than the baseline")
        say(f"idle CPU: {cpu * 100:.1f} % of a core = {cpu * 100 / n:.4f} % per registration, "
            f"{(base_cpu / b) / (cpu / n):.0f}x less than the baseline; the AWS endpoint "
            f"{aws_idle * 100:.0f} % busy meanwhile (one lease renewal a second, and a re-read "
            f"of the held trunks every poll); {lease_trouble(edge_log, mark)}")
        say(f"the PBX meanwhile: {options:.1f} OPTIONS a second (keepalives: one per worker "
            f"per registrar name every 20 s) and {registers:.1f} REGISTERs accepted a second "
            f"(refreshes and bindings checks)")

        # 3. A restart.
        edge.stop()
        wait_until(lambda: registered_on_pbx(pbx) == 0, 60, "the edge to un-register")
        restarted_at = datetime.now(timezone.utc)
        mark = log_size(edge_log)
        started, started_wall = time.monotonic(), time.time()
        edge = start_edge(stack, many_env, logs, workers=args.workers)
        _, curve = progress(lambda: registered_on_pbx(pbx), n, 900, "registrations back")
        back_on_pbx = time.monotonic() - started
        rate = float(os.environ.get("SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND", "50"))
        say(f"restart (SIGTERM, new edge) -> all {n} on the PBX again: {back_on_pbx:.1f} s "
            f"(target <= 30 s for 1,000; REGISTERs paced at {rate:.0f}/s to this one PBX, so "
            f">= {n / rate:.0f} s here); {lease_trouble(edge_log, mark)}")
        say(f"  the new edge's lease taken (its workers Ready) "
            f"{lease_taken_after(edge_log, mark, started_wall)} after its start; "
            f"on the PBX at {curve}")
        try:
            wait_count(lambda: api_registered(restarted_at), n, 120, "the API")
            say(f"every trunk reads Registered in the API: {time.monotonic() - started:.1f} s")
        except TimeoutError:
            say(f"the API read {api_registered(restarted_at)} of {n} Registered "
                f"{time.monotonic() - started:.0f} s after the restart (the local queue pump lags)")
    return 0


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
