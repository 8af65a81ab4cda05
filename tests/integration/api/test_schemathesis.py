"""schemathesis against the real local API: `chalice local` (as `make run` serves it) on the
session's AWS endpoint, with tables of its own, fuzzed from the OpenAPI document it serves at
/v1/openapi.json.

Every operation gets valid (positive) and schema-breaking (negative) requests, seeded and
bounded, with its path ids drawn from real trunks, agents, numbers and directory entries (made
first, so trunk- and agent-scoped routes get past the 404) as well as generated ones. Asserted:
no 5xx, every answer conforms to the document (status, content type, headers, body schema),
invalid data is rejected, and a rejected (4xx) request changes no table: every table is scanned
before and after each such request and compared (and around each read-only operation's run).
The summary line is written to the terminal and attached to the test report.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from hypothesis import strategies as st

from devstack.processes import Child, wait_until

from .conftest import CONTROL, LOCAL_KEY, Storage, valid_trunk

SEED = 20261202
EXAMPLES = {"positive": 25, "negative": 25}  # per operation and mode: ~1,400 requests
# Operations whose success removes what later operations need run last.
LAST = ("DELETE",)


@dataclass
class Tally:
    operations: int = 0
    examples: Counter = field(default_factory=Counter)  # by status class, "2xx", "4xx", ...
    failures: list[str] = field(default_factory=list)
    nothing_to_negate: list[str] = field(default_factory=list)  # operations without inputs

    def line(self) -> str:
        total = sum(self.examples.values())
        by_class = ", ".join(f"{k}: {v}" for k, v in sorted(self.examples.items()))
        return (f"schemathesis {schemathesis.__version__}, seed {SEED}: {self.operations} "
                f"operations, {total} examples ({by_class}), {len(self.failures)} failures; "
                f"{len(self.nothing_to_negate)} operations take no input to make invalid")


@pytest.fixture(scope="module")
def fuzz_tables(aws_endpoint) -> dict[str, str]:
    """Tables of the fuzzed API's own (table variable -> name), created on the session's
    endpoint: small, so scanning every one around each request stays cheap, and what the
    fuzzer writes touches no other test's data."""
    import subprocess
    import uuid

    from infra.cdk.contract import table_env_vars

    run = uuid.uuid4().hex[:6]
    tables = {var: f"smartalex-fuzz-{run}-{model.removesuffix('Model').lower()}"
              for model, var in table_env_vars().items()}
    subprocess.run([sys.executable, "-c", "from smartalex.adapters.dynamodb.schema import "
                    "create_tables; create_tables()"], env=dict(os.environ, **tables),
                   check=True, capture_output=True, timeout=120)
    return tables


@pytest.fixture(scope="module")
def local_api(fuzz_tables, tmp_path_factory):
    """`chalice local` in its own process, as make run starts it, on a free port."""
    from tests.conftest import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("chalice") / "api.log"
    env = dict(os.environ, SMARTALEX_AUTH_MODE="local", SMARTALEX_LOCAL_TOKEN_KEY=LOCAL_KEY,
               **fuzz_tables)
    chalice = str(Path(sys.executable).with_name("chalice"))
    api = Child("api", [chalice, "local", "--host", "127.0.0.1", "--port", str(port),
                        "--no-autoreload"], env=env, cwd=CONTROL, log=log).start()
    try:
        wait_until(lambda: _answers(url) or not api.alive(), 60, "chalice local")
        assert api.alive(), log.read_text()
        yield url
    finally:
        api.stop(grace=5)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/v1/openapi.json", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def world(local_api):
    """A tenant with two trunks, two agents (one linked), a directory entry and a bound
    number: the ids the fuzzer puts into paths."""
    import uuid

    from chalicelib.auth import issue_local_token

    tenant = f"fuzz-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": f"Bearer {issue_local_token(tenant, LOCAL_KEY)}"}

    def post(path, body, status=201):
        reply = requests.post(local_api + path, json=body, headers=headers, timeout=10)
        assert reply.status_code == status, reply.text
        return reply.json()

    trunks = [post("/v1/trunks", valid_trunk(extension=ext))["id"] for ext in ("1000", "1001")]
    agents = [post("/v1/agents", body)["id"] for body in (
        {"name": "Desk", "kind": "receptionist"},
        {"name": "Bot", "kind": "media_stream", "stream_url": "wss://agent.example.com/s"})]
    requests.put(f"{local_api}/v1/agents/{agents[0]}/telephony", json={"trunk_id": trunks[0]},
                 headers=headers, timeout=10).raise_for_status()
    post(f"/v1/trunks/{trunks[0]}/directory", {"extension": "215", "display_name": "Sarah"})
    number = post("/v1/phone-numbers/pbx-extension", {
        "trunk_id": trunks[0], "extension": "1000", "agent_id": agents[0],
        "did": "+353 87 123 4567"})["id"]
    return {"headers": headers, "ids": {"trunk_id": trunks, "agent_id": agents,
                                        "number_id": [number], "extension": ["215"]}}


@pytest.mark.timeout(420)  # ~3 min on 2 cores; the scans grow with what earlier tests stored
def test_schemathesis_finds_no_server_error_no_schema_break_and_no_write_on_a_4xx(
        local_api, world, fuzz_tables, record_property, capsys):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance,
              negative_data_rejection]
    schema = schemathesis.openapi.from_url(f"{local_api}/v1/openapi.json",
                                           config=schemathesis.Config())

    @schema.auth()
    class SignedIn:
        """The fuzzer is a signed-in admin: the token is given, never generated or negated
        (authentication has its own tests, test_auth_api.py)."""

        def get(self, case, ctx):
            return world["headers"]["Authorization"]

        def set(self, case, data, ctx):
            case.headers = {**(case.headers or {}), "Authorization": data}
    tables, tally = Tables(list(fuzz_tables.values())), Tally()
    session = requests.Session()
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda op: (op.method.upper() in LAST, op.path, op.method))
    documented = requests.get(f"{local_api}/v1/openapi.json", timeout=10).json()["paths"]

    for operation in operations:
        tally.operations += 1
        tables.refresh()
        for mode, count in EXAMPLES.items():
            _fuzz(operation, mode, count, world, checks, tables, session, local_api, tally)
        if operation.method.upper() == "GET" and tables.changed():  # reads write nothing
            tally.failures.append(f"GET {operation.path}: a read changed a table")

    summary = tally.line()
    record_property("schemathesis", summary)
    with capsys.disabled():  # shown whatever pytest captures, passed or failed
        print("\n" + "\n".join([summary, *("  " + failure for failure in tally.failures)]))
    assert not tally.failures, "\n".join([summary, *tally.failures[:30]])
    # Every operation but GET /v1/openapi.json, which schemathesis leaves out as the document
    # it was loaded from.
    assert tally.operations == sum(len(methods) for methods in documented.values()) - 1
    assert tally.examples["2xx"] > 0 and tally.examples["4xx"] > 0


class Tables:
    """Every table of the fuzzed API (a scan of each), as last seen; a 4xx is compared with it."""

    def __init__(self, names: list[str]):
        self._storage, self._names = Storage(), names
        self.seen = self._scan()

    def _scan(self) -> dict[str, list[dict]]:
        return {name: self._storage.items(name) for name in self._names}

    def refresh(self) -> None:
        self.seen = self._scan()

    def changed(self) -> bool:
        now = self._scan()
        changed, self.seen = now != self.seen, now
        return changed


def _fuzz(operation, mode, count, world, checks, tables, session, base_url, tally):
    from schemathesis import GenerationMode

    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    names = [p.name for p in operation.path_parameters]
    signed_in = {"generation_mode": generation}
    strategies = [operation.as_strategy(**signed_in)]
    if names:
        real = {name: world["ids"][name] for name in names if name in world["ids"]}
        if real:
            strategies.append(st.fixed_dictionaries(
                {name: st.sampled_from(ids) for name, ids in real.items()}
            ).flatmap(lambda fixed: operation.as_strategy(**signed_in, path_parameters=fixed)))
    label = f"{operation.method.upper()} {operation.path} ({mode})"

    @seed(SEED)
    @settings(max_examples=count, database=None, deadline=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case):
        writes = operation.method.upper() != "GET"
        response = case.call(base_url=base_url, session=session)
        status = response.status_code
        tally.examples[f"{status // 100}xx"] += 1
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported together below
            tally.failures.append(f"{label}: {status} {_first_line(exc)} | sent "
                                  f"{_sent(case)} | got {response.text[:200]}")
        if writes and tables.changed() and 400 <= status < 500:
            # `tables` was scanned after the previous request (or before the first): any
            # difference is this rejected request's doing. A success may change them.
            tally.failures.append(f"{label}: a {status} changed a table | sent {_sent(case)}")

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameters, no body, and the token
        # is given): only valid requests exist for it. Anything else is a real error.
        if mode != "negative":
            raise
        tally.nothing_to_negate.append(f"{operation.method.upper()} {operation.path}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[:3])[:300] if text else type(exc).__name__


def _sent(case) -> str:
    body = getattr(case, "body", None)
    try:
        shown = json.dumps(body)[:200]
    except (TypeError, ValueError):
        shown = repr(body)[:200]
    return f"path={case.path_parameters} query={case.query} body={shown}"
