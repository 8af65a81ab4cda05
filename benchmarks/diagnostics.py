"""Diagnostics benchmark: does reading a number's Diagnostics cost the same with a long history?

Creates a trunk, a receptionist and a number bound to them (through the use cases), stores as
many calls on the number's line as Diagnostics reads (CALLS_READ, 100) and ERRORS_READ (50)
different errors on the trunk, then measures a number's Diagnostics
`--repetitions` times:
- through the service function (`service_layer.diagnostics.number_diagnostics`), and
- through the API: `chalice.test.Client` (in-process: Chalice's local API Gateway, the
  middleware, auth with a local token, routing, rendering; no socket of its own),
and prints p50/p95. Then it stores `--calls` more calls for the same number (batch writes,
spread over the 30 days calls are kept, so thousands fall inside the 24 h window), prints how
long that took, measures again, and prints the ratios. Figures only; nothing asserts on time.

Where the tables live (`--store`):
- `dynalite` (default): a DynamoDB server on LevelDB (devstack/dynalite.py, installed with npm on
  first use). Like DynamoDB it answers a Query from a sorted key space, reading the key range and
  stopping at Limit, so its latency shows what the design promises. It has no transactions, so
  the fixture's repositories replay theirs as single writes (`ReplayedTransactions`).
- `moto`: the embedded moto server of `make run`. moto answers a Query by walking every item of
  the table in Python (moto/dynamodb/models/table.py, `Table.query`), so ITS latency grows with
  the table whatever the keys; shown for comparison.
- `--endpoint URL`: an AWS endpoint of yours for DynamoDB (DynamoDB Local, LocalStack).
SQS and Secrets Manager always come from an embedded moto server.

What stays constant on every store is what DynamoDB bills and reads: each list is one Query
with Limit 100/50 on a key range (enough to group a burst of identical refusals into one row), so the items it reads (`ScannedCount`) are printed for both
phases, and a control Query that reads nothing shows the store's own per-Query overhead.

    .venv/bin/python benchmarks/diagnostics.py [--store dynalite|moto] [--repetitions 200]
                                               [--calls 100000]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "control"))  # chalicelib is top-level, as in the Lambda bundle

# Before any model is imported: table names are read once, from the stage.
os.environ["SMARTALEX_STAGE"] = "bench"
os.environ["SMARTALEX_AUTH_MODE"] = "local"
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the API logs a line per request otherwise
os.environ["SMARTALEX_LOCAL_TOKEN_KEY"] = secrets.token_urlsafe(48)
for _key, _value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                     "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ[_key] = _value

from devstack.aws_endpoint import EmbeddedMoto, provision, use_endpoint  # noqa: E402
from devstack.pbx import free_port  # noqa: E402
from smartalex.domain.diagnostics import CALLS_READ, ERRORS_READ  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(fn, repetitions: int) -> list[float]:
    fn()  # warm: connections, caches
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def replaying_services():
    """Services whose repositories replay their transactions as single writes (for dynalite)."""
    from pynamodb.connection import Connection

    from smartalex.adapters import aws
    from smartalex.adapters.dynamodb.numbers import DynamoPhoneNumberRepository
    from smartalex.adapters.dynamodb.trunks import DynamoTrunkRepository
    from smartalex.bootstrap import bootstrap

    class ReplayedTransactions(Connection):
        """dynalite has no TransactWriteItems: write a transaction's items one by one (not
        atomic, condition checks skipped), enough for a fixture written by one thread."""

        def transact_write_items(self, condition_check_items, delete_items, put_items,
                                 update_items, **_):
            for operation, items in (("PutItem", put_items), ("UpdateItem", update_items),
                                     ("DeleteItem", delete_items)):
                for item in items:
                    self.dispatch(operation, dict(item))
            return {}

    connection = ReplayedTransactions(region=aws.region())
    return bootstrap(trunks=DynamoTrunkRepository(connection),
                     numbers=DynamoPhoneNumberRepository(connection))


class Fixture:
    """A tenant's trunk, receptionist and bound number, created through the use cases."""

    def __init__(self, services):
        from smartalex.domain.agent_commands import CreateAgent
        from smartalex.domain.commands import CreateTrunk
        from smartalex.domain.number_commands import BindPbxExtension
        from smartalex.service_layer import agents, numbers, trunks

        self.tenant = "bench-tenant"
        self.services = s = services
        self.trunk = trunks.create_trunk(CreateTrunk(
            tenant_id=self.tenant, pbx_type="asterisk", domain="pbx.example.com",
            extension="1000", password=secrets.token_urlsafe(12)), trunks=s.trunks,
            secrets=s.secrets)
        self.agent = agents.create_agent(CreateAgent(
            tenant_id=self.tenant, name="Front desk", kind="receptionist"), agents=s.agents)
        self.number = numbers.bind_pbx_extension(BindPbxExtension(
            tenant_id=self.tenant, trunk_id=self.trunk.trunk_id, extension="1000",
            agent_id=self.agent.agent_id, did="+353 87 123 4567"),
            trunks=s.trunks, agents=s.agents, numbers=s.numbers).number

    def call_item(self, i: int, started: datetime):
        from smartalex.adapters.dynamodb.calls import RETENTION
        from smartalex.adapters.dynamodb.models import CallRecordModel
        from smartalex.adapters.dynamodb.timeline import sort_key

        call_id = f"bench-{i:07d}"
        ended = started + timedelta(seconds=62)
        return CallRecordModel(
            self.trunk.trunk_id, sort_key(started, call_id), line_key=self.number.line_key,
            call_id=call_id, tenant_id=self.tenant, extension="1000",
            caller_number="+35312345678", caller_name="Ann", dialled=self.number.e164,
            agent_id=self.agent.agent_id, started_at=started,
            answered_at=started + timedelta(seconds=2), ended_at=ended, outcome="answered",
            expires_at=ended + RETENTION,
        )

    def store_recent(self, calls: int, errors: int) -> None:
        from smartalex.domain.errors_log import ErrorRecord, ErrorSource

        now = datetime.now(timezone.utc)
        for i in range(calls):
            self.call_item(i, now - timedelta(minutes=5 * (i + 1))).save()
        for i in range(errors):
            self.services.errors.add(ErrorRecord(
                error_id=f"bench-error-{i}", tenant_id=self.tenant,
                trunk_id=self.trunk.trunk_id, source=ErrorSource.TRANSFER,
                message=f"Transfer to {200 + i} failed", hint="Check that it exists",
                at=now - timedelta(minutes=7 * (i + 1))))

    def store_history(self, calls: int, offset: int) -> float:
        """`calls` calls spread evenly over the last 30 days; returns seconds taken."""
        from smartalex.adapters.dynamodb.models import CallRecordModel

        now = datetime.now(timezone.utc)
        span = timedelta(days=30).total_seconds()
        started = time.perf_counter()
        with CallRecordModel.batch_write() as batch:  # 25 items per BatchWriteItem request
            for i in range(calls):
                batch.save(self.call_item(offset + i,
                                          now - timedelta(seconds=span * (i + 0.5) / calls)))
        return time.perf_counter() - started

    def diagnose(self):
        from smartalex.service_layer.diagnostics import number_diagnostics

        s = self.services
        return number_diagnostics(self.tenant, self.number.number_id, numbers=s.numbers,
                                  trunks=s.trunks, calls=s.calls, errors=s.errors)

    def scanned(self) -> dict[str, int]:
        """Items DynamoDB reads for each list: the adapters' own queries, sent raw."""
        from smartalex.adapters import aws, names
        from smartalex.adapters.dynamodb.timeline import stamp

        since = stamp(datetime.now(timezone.utc) - timedelta(hours=24))
        client = aws.client("dynamodb")
        calls = client.query(
            TableName=names.calls_table(), IndexName="line-index", Limit=CALLS_READ,
            ScanIndexForward=False, ReturnConsumedCapacity="TOTAL",
            KeyConditionExpression="line_key = :l AND sort_key >= :s",
            ExpressionAttributeValues={":l": {"S": self.number.line_key}, ":s": {"S": since}})
        errors = client.query(
            TableName=names.errors_table(), Limit=ERRORS_READ, ScanIndexForward=False,
            KeyConditionExpression="trunk_id = :t AND sort_key >= :s",
            ExpressionAttributeValues={":t": {"S": self.trunk.trunk_id}, ":s": {"S": since}})
        return {"calls": calls["ScannedCount"], "errors": errors["ScannedCount"]}

    def query_nothing(self):
        """A control: a Query of a trunk that has no calls at all. DynamoDB reads nothing;
        whatever this costs is the emulator's own walk over the table."""
        from smartalex.adapters import aws, names

        aws.client("dynamodb").query(
            TableName=names.calls_table(), Limit=10, ScanIndexForward=False,
            KeyConditionExpression="trunk_id = :t",
            ExpressionAttributeValues={":t": {"S": "trk_with_no_calls_at_all"}})


class ApiClient:
    def __init__(self, fixture: Fixture, project_dir: str):
        from chalice.test import Client

        from app import app
        from chalicelib.auth import issue_local_token

        self.path = f"/v1/phone-numbers/{fixture.number.number_id}/diagnostics"
        token = issue_local_token(fixture.tenant, os.environ["SMARTALEX_LOCAL_TOKEN_KEY"])
        self.headers = {"Authorization": f"Bearer {token}"}
        self._client = Client(app, project_dir=project_dir)
        self._client.__enter__()

    def get(self):
        response = self._client.http.get(self.path, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"diagnostics answered {response.status_code}: {response.body!r}")
        return response

    def close(self):
        self._client.__exit__(None, None, None)


def measure(label: str, fixture: Fixture, api: ApiClient, repetitions: int) -> dict:
    view = fixture.diagnose()
    service = percentiles(timed(fixture.diagnose, repetitions))
    through_api = percentiles(timed(api.get, repetitions))
    control = percentiles(timed(fixture.query_nothing, max(repetitions // 10, 5)))
    scanned = fixture.scanned()
    print(f"\n{label}")
    print(f"  listed: {len(view.calls)} calls, {len(view.errors)} errors; "
          f"items read per query: calls {scanned['calls']}, errors {scanned['errors']}")
    print(f"  service function   p50 {service[0]:8.2f} ms   p95 {service[1]:8.2f} ms")
    print(f"  API (test client)  p50 {through_api[0]:8.2f} ms   p95 {through_api[1]:8.2f} ms")
    print(f"  control: Query of a trunk with no calls (reads 0 items)   "
          f"p50 {control[0]:8.2f} ms   p95 {control[1]:8.2f} ms")
    return {"service": service, "api": through_api, "scanned": scanned, "control": control}


def open_stores(args, scratch: Path, servers: list):
    """Start moto (SQS, Secrets Manager, and DynamoDB with --store moto) and, with --store
    dynalite, dynalite for DynamoDB (each appended to `servers`, to stop); point this process
    at them; return the services the fixture uses."""
    from smartalex.bootstrap import bootstrap

    servers.append(EmbeddedMoto(port=free_port()).start())
    if args.endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = args.endpoint
    elif args.store == "dynalite":
        from devstack.dynalite import Dynalite

        servers.append(Dynalite(free_port(), data_dir=scratch / "dynalite",
                                log_path=scratch / "dynalite.log").start())
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = servers[-1].url
    use_endpoint(servers[0].url)
    provision()
    services = replaying_services() if args.store == "dynalite" and not args.endpoint \
        else bootstrap()
    where = args.endpoint or servers[-1].url
    print(f"DynamoDB: {args.endpoint and 'endpoint' or args.store} on {where}; "
          f"{args.repetitions} repetitions per measurement")
    return services


def print_ratios(small: dict, large: dict, store: str) -> None:
    print("\nratio (large / small)")
    for what, name in (("service", "service function"), ("api", "API (test client)"),
                       ("control", "control query")):
        p50 = large[what][0] / small[what][0]
        p95 = large[what][1] / small[what][1]
        print(f"  {name:18s} p50 x{p50:6.2f}   p95 x{p95:6.2f}")
    print(f"  items read per list query: {small['scanned']} -> {large['scanned']}")
    if store == "moto":
        print("  (moto answers every Query by walking the whole table in Python, so its "
              "latency, the control's\n  included, grows with the table; DynamoDB reads only "
              "the key range, at most Limit items.)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("dynalite", "moto"), default="dynalite",
                        help="the DynamoDB server to start (default: dynalite)")
    parser.add_argument("--endpoint", help="a DynamoDB endpoint of yours instead (DynamoDB "
                        "Local, LocalStack); --store is then ignored")
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--calls", type=int, default=100_000)
    # Print as we go, also when the output is redirected to a file.
    sys.stdout.reconfigure(line_buffering=True)
    args = parser.parse_args()

    servers = []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            services = open_stores(args, Path(scratch), servers)
            fixture = Fixture(services)
            fixture.store_recent(calls=CALLS_READ, errors=ERRORS_READ)
            api = ApiClient(fixture, scratch)
            try:
                small = measure(f"{CALLS_READ} calls stored", fixture, api, args.repetitions)
                seconds = fixture.store_history(args.calls, offset=CALLS_READ)
                print(f"\nloaded {args.calls:,} more calls in {seconds:.1f} s "
                      f"({args.calls / seconds:,.0f} calls/s, batch writes of 25)")
                large = measure(f"{args.calls + CALLS_READ:,} calls stored", fixture, api,
                                args.repetitions)
            finally:
                api.close()
            print_ratios(small, large, "endpoint" if args.endpoint else args.store)
        finally:
            for server in reversed(servers):
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
