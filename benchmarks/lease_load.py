"""Lease load test: the claim and renewal pattern of many trunks held by many edges, against a
local DynamoDB server, with the write rate per key (docs/assignments.md, "Write rates").

`--edges` edges (10) in this process, each with its real lease thread (edge/lease.py) and an
assignment loop polling as the supervisor does (edge/assignments.py: every `--poll` seconds,
at once again while claims remain), share `--trunks` trunks (10,000) on one DynamoDB server:
1. claim: every edge starts empty and claims until all trunks are held;
2. hold: `--hold` seconds of holding them (each edge's lease renewals; each poll re-reads its
   trunks and looks for dead edges and unheld trunks);
3. failover: one edge stops dead (no hand-back); the others take its trunks once its lease
   expires.
Each phase prints its writes a second in total and on the busiest key, per second and on
average, by kind of key: an edge's lease item, a trunk item, a key of holder-index or
fleet-index. DynamoDB takes about 1,000 writes a second on one partition (and so on one key).
The writes are counted as the edges send them (a conditional write that fails counts too).

    .venv/bin/python benchmarks/lease_load.py [--trunks 10000] [--edges 10] [--hold 30]
        [--store dynalite|moto]

`--store dynalite` (default) is a DynamoDB server on LevelDB that answers a Query by reading the
key range, as DynamoDB does (devstack/dynalite.py, installed with npm on first use); `moto` is
the local AWS endpoint of the tests and `make run`, which walks the whole table per Query.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack.pbx import free_port  # noqa: E402

# The old design (before edge leases): every trunk renewed its own lease every 5 s, and each
# renewal also rewrote the trunk's entry in placement-index, whose hash key was the constant
# "pool".
OLD_RENEW_EVERY = 5.0
PARTITION_WRITES = 1000  # DynamoDB: writes a second one partition takes (1 KB items)


class Tally:
    """Writes per key, bucketed by second since the phase started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.by_second: dict[str, Counter] = defaultdict(Counter)
        self.total: Counter = Counter()

    def add(self, *keys: str) -> None:
        second = int(time.monotonic() - self.start)
        with self.lock:
            for key in keys:
                self.by_second[key][second] += 1
                self.total[key] += 1

    def restart(self) -> "Tally":
        with self.lock:
            old = Tally()
            old.start, old.by_second, old.total = self.start, self.by_second, self.total
            self.start, self.by_second, self.total = time.monotonic(), defaultdict(Counter), Counter()
        return old


def counting_store(tally: Tally):
    """DynamoLeaseStore, counting each write by the keys it writes (the table's item, and the
    index keys an item moves between)."""
    from smartalex.adapters.dynamodb.leases import DynamoLeaseStore
    from smartalex.domain.assignment import free_holder

    class CountingStore(DynamoLeaseStore):
        def acquire(self, holder, now, room=None):
            tally.add(f"edge lease {holder}", "fleet-index fleet")
            return super().acquire(holder, now, room)

        def renew(self, holder, now, room=None):
            tally.add(f"edge lease {holder}")
            return super().renew(holder, now, room)

        def finish(self, holder, now, expired_only=True):
            tally.add(f"edge lease {holder}")
            return super().finish(holder, now, expired_only)

        def forget(self, holder, now):
            tally.add(f"edge lease {holder}")
            done = super().forget(holder, now)
            if done:
                tally.add("fleet-index fleet")
            return done

        def claim(self, trunk_id, from_holder, holder, now):
            tally.add(f"trunk {trunk_id}")
            claimed = super().claim(trunk_id, from_holder, holder, now)
            if claimed is not None:
                tally.add(f"holder-index {from_holder}", f"holder-index {holder}")
            return claimed

        def release(self, lease, trunk_id):
            tally.add(f"trunk {trunk_id}", f"holder-index {lease.holder}",
                      f"holder-index {free_holder(trunk_id)}")
            return super().release(lease, trunk_id)

    return CountingStore


class Edge:
    """One edge: its lease thread and an assignment loop on a thread, as the supervisor runs
    them (claims at once again while more wait; follows the configuration every poll)."""

    def __init__(self, store_cls, name: str, capacity: int, poll: float, pool) -> None:
        from edge.assignments import AssignmentKeeper
        from edge.lease import EdgeLease

        self.name, self.capacity, self.poll = name, capacity, poll
        self.store = store_cls(name)
        self.lease = EdgeLease(self.store, name)
        self.keeper = AssignmentKeeper(self.store, self.lease, pool=pool)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"poll-{name}", daemon=True)

    def start(self) -> "Edge":
        self.lease.start()
        self.thread.start()
        return self

    def run(self) -> None:
        next_follow = 0.0
        while not self.stop.is_set():
            follow = time.monotonic() >= next_follow
            if follow:
                next_follow = time.monotonic() + self.poll
            changes = self.keeper.sync(self.capacity - len(self.keeper.held), follow_config=follow)
            self.stop.wait(0.2 if changes.more_waiting else self.poll)

    def kill(self) -> None:
        """Dead at once: no renewal, no poll, nothing handed back."""
        self.stop.set()
        self.lease.stop()
        self.thread.join()


def held(edges) -> int:
    return sum(len(e.keeper.held) for e in edges)


def wait_held(edges, target: int, timeout: float, what: str) -> float:
    start = time.monotonic()
    while held(edges) < target:
        if time.monotonic() - start > timeout:
            raise SystemExit(f"{what}: only {held(edges)} of {target} held after {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def report(phase: str, tally: Tally, seconds: float) -> None:
    writes = sum(tally.total.values())
    say(f"{phase}: {seconds:.1f} s, {writes:,} writes = {writes / seconds:,.0f} a second in all")
    kinds: dict[str, list[str]] = defaultdict(list)
    for key in tally.total:
        kinds[key.rsplit(" ", 1)[0]].append(key)
    for kind, keys in sorted(kinds.items()):
        busiest = max(keys, key=lambda k: tally.total[k])
        peak_key = max(keys, key=lambda k: max(tally.by_second[k].values()))
        peak = max(tally.by_second[peak_key].values())
        say(f"  {kind:13} {len(keys):6,} keys; busiest {tally.total[busiest] / seconds:7.1f} "
            f"writes/s on average; peak {peak:5,} writes in one second on one key "
            f"(DynamoDB: about {PARTITION_WRITES:,} per partition)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trunks", type=int, default=10_000)
    ap.add_argument("--edges", type=int, default=10)
    ap.add_argument("--hold", type=float, default=30.0)
    ap.add_argument("--poll", type=float, default=2.0, help="SMARTALEX_EDGE_POLL_SECONDS")
    ap.add_argument("--store", choices=("dynalite", "moto"), default="dynalite")
    args = ap.parse_args()
    n, e = args.trunks, args.edges
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="lease-load-")))
        server = start_store(args.store, scratch, stack)
        from devstack.aws_endpoint import use_endpoint

        use_endpoint(server.url)
        from smartalex.adapters.dynamodb.schema import create_tables

        create_tables()
        add_trunks(n)
        from smartalex.domain.assignment import LEASE_SECONDS, RENEW_EVERY_SECONDS

        say(f"{n:,} trunks, {e} edges each taking up to {math.ceil(n / (e - 1)):,} (so that "
            f"the others can take a dead one's), polling every {args.poll:g} s; DynamoDB: "
            f"{args.store}; edge leases of {LEASE_SECONDS:g} s renewed every "
            f"{RENEW_EVERY_SECONDS:g} s; {os.cpu_count()} cores here")
        say(f"before (a lease per trunk, renewed every {OLD_RENEW_EVERY:g} s, each renewal "
            f"rewriting placement-index key 'pool'): {n / OLD_RENEW_EVERY:,.0f} writes a "
            f"second on that one key for {n:,} trunks, {100_000 / OLD_RENEW_EVERY:,.0f} for "
            f"100,000 (DynamoDB: about {PARTITION_WRITES:,} per partition)")
        tally = Tally()
        pool = stack.enter_context(ThreadPoolExecutor(4 * e, thread_name_prefix="aws"))
        store_cls = counting_store(tally)
        capacity = math.ceil(n / (e - 1))
        edges = [Edge(store_cls, f"edge-{i:02d}", capacity, args.poll, pool) for i in range(e)]
        for edge in edges:
            edge.start()
            stack.callback(edge.kill)

        took = wait_held(edges, n, 1800, "claim")
        report("1. claim (every edge starts empty)", tally.restart(), took)
        time.sleep(args.hold)
        report(f"2. hold ({n:,} trunks held)", tally.restart(), args.hold)
        victim = edges[0]
        lost = len(victim.keeper.held)
        killed = time.monotonic()
        victim.kill()
        took = wait_held(edges[1:], n, 600, "failover")
        report(f"3. failover (one edge dead with {lost:,} trunks)", tally.restart(),
               time.monotonic() - killed)
        say(f"the dead edge's {lost:,} trunks were all held again {took:.1f} s after it stopped "
            f"(its lease expired {LEASE_SECONDS:g} s at most after its last renewal)")
        lapses = sum(e.lease.state.incarnation - 1 for e in edges if e.lease.state.incarnation)
        say(f"edge leases that lapsed during the run: {lapses} (each edge here is threads of one "
            f"Python process sharing {os.cpu_count()} cores with the DynamoDB server: a renewal "
            f"starved of CPU for 4 s lapses; an edge in AWS has its task's cores)")
    return 0


def start_store(store: str, scratch: Path, stack: contextlib.ExitStack):
    if store == "dynalite":
        from devstack.dynalite import Dynalite

        server = Dynalite(free_port(), data_dir=scratch / "dynalite",
                          log_path=scratch / "dynalite.log").start()
    else:
        from devstack.aws_endpoint import EmbeddedMoto

        server = EmbeddedMoto(port=free_port()).start()
    stack.callback(server.stop)
    return server


def add_trunks(n: int) -> None:
    """`n` unheld trunks, written directly (the API would also store a secret for each)."""
    from smartalex.adapters.dynamodb.models import TrunkModel
    from smartalex.domain.assignment import free_holder

    now = datetime.now(timezone.utc)
    with TrunkModel.batch_write() as batch:
        for i in range(n):
            trunk_id = f"trk_{i:020d}"
            batch.save(TrunkModel(
                trunk_id, tenant_id=f"load-{i // 20}", pbx_type="other", domain="203.0.113.9",
                extension=str(20000 + i), username=str(20000 + i), transport="udp", port=5060,
                generation=1, created_at=now, updated_at=now, reg_state="connecting",
                reg_order="0", lease_holder=free_holder(trunk_id)))


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
