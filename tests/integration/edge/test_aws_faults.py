"""Faults on one edge's way to AWS (issue 12 item 7): its DynamoDB hangs, not refuses, for 40 s.

The edge's lease cannot be renewed, so its workers let go of every trunk at the lease's deadline
by their own clock, whatever the edge's loop is stuck in; the other edge takes the trunks once
the lease has expired, and the PBX never sees the first edge register again over the second.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from urllib.parse import urlparse

import pytest

from smartalex.domain.assignment import LEASE_SECONDS, SAFETY_MARGIN_SECONDS
from smartalex.domain.commands import CreateTrunk
from smartalex.service_layer import trunks as svc
from tests.support.fault_proxy import FaultProxy

from .conftest import POLL_SECONDS, wait_for

pytestmark = pytest.mark.sip
TENANT = "acme"
USERS = {"1000": "secret", "300": "pw300", "301": "pw301"}
FROZEN_FOR = 40.0


@pytest.fixture
def proxy(aws_endpoint):
    url = urlparse(aws_endpoint["url"])
    proxy = FaultProxy((url.hostname, url.port)).start()
    yield proxy
    proxy.stop()


def registered_by(control_plane, trunks, edge) -> bool:
    now = time.time()
    current = [control_plane.trunks.get(TENANT, t.trunk_id) for t in trunks]
    return all(t.registration.state == "registered" and t.held_at(now)
               and t.held_at(now).owner == edge.edge_id for t in current)


def leases_acquired(edge) -> list[float]:
    """When the edge took each of its leases (epoch seconds, from its log)."""
    times = []
    for line in edge.log_text().splitlines():
        if '"edge lease acquired"' in line:
            stamp = json.loads(line)["timestamp"]
            times.append(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f%z").timestamp())
    return times


def loop_turned(edge) -> float:
    """When the edge's loop last turned (its health file)."""
    try:
        return json.loads(edge.health_file.read_text())["loop_at"]
    except (OSError, ValueError, KeyError):
        return 0.0


def sources(pbx) -> dict[str, str]:
    """The address:port each extension's contact is registered from."""
    return {ext: pbx.contacts(ext)[0].split("@", 1)[1].split(";", 1)[0] for ext in USERS}


def test_an_edge_whose_dynamodb_hangs_lets_go_in_time_and_never_registers_over_the_next(
        control_plane, pbx, edge_factory, proxy, capsys):
    trunks = [svc.create_trunk(CreateTrunk(
        tenant_id=TENANT, pbx_type="other", domain=pbx.host, port=pbx.port, extension=ext,
        password=password), trunks=control_plane.trunks, secrets=control_plane.secrets)
        for ext, password in USERS.items()]
    frozen = edge_factory(workers=2, name="frozen", AWS_ENDPOINT_URL=proxy.url)
    wait_for(lambda: registered_by(control_plane, trunks, frozen), 20,
             "the first edge to register every trunk")
    healthy = edge_factory(workers=2, name="healthy")
    wait_for(lambda: healthy.health_file.exists(), 15, "the second edge to start")
    theirs = set(sources(pbx).values())
    since = pbx.log_path.stat().st_size

    proxy.freeze()
    frozen_at = time.time()
    wait_for(lambda: registered_by(control_plane, trunks, healthy), FROZEN_FOR - 5,
             "the healthy edge to take every trunk over")
    moved = time.time() - frozen_at
    while time.time() < frozen_at + FROZEN_FOR:  # the rest of the 40 s stall
        assert frozen.proc.poll() is None, "the frozen edge died"
        time.sleep(0.5)
    proxy.thaw()
    # The frozen edge comes back with a new lease and polls (nothing to claim: all held by the
    # other edge); what it sent during the stall has reached the endpoint by then, late.
    [_, renewed_at] = wait_for(lambda: leases_acquired(frozen)[:2] if len(
        leases_acquired(frozen)) >= 2 else None, 30, "the frozen edge to take a new lease")
    wait_for(lambda: loop_turned(frozen) > renewed_at + 2 * POLL_SECONDS, 30,
             "the frozen edge to poll under its new lease")

    saved = pbx.registrations(since)
    for ext in USERS:
        mine = [r for r in saved if r.user == ext]
        first_new = next(i for i, r in enumerate(mine) if r.source not in theirs)
        stale = [r for r in mine[first_new:] if r.source in theirs and not r.removes]
        assert stale == [], f"the frozen edge registered {ext} again over the new holder"
        let_go = [r.at for r in mine[:first_new] if r.source in theirs and r.removes]
        assert let_go, f"the frozen edge never un-registered {ext}"
        gap = mine[first_new].at - max(let_go)
        assert gap >= SAFETY_MARGIN_SECONDS - 0.25, gap
    assert registered_by(control_plane, trunks, healthy)
    assert set(sources(pbx).values()).isdisjoint(theirs)
    state = json.loads(frozen.health_file.read_text())
    assert not state["stopped"] and all(w["alive"] for w in state["workers"])
    let_go_at = min(r.at for r in saved if r.source in theirs and r.removes)
    first_new_at = min(r.at for r in saved if r.source not in theirs)
    with capsys.disabled():
        print(f"\naws freeze: the frozen edge un-registered {let_go_at - frozen_at:.1f} s into "
              f"the stall (its lease: {LEASE_SECONDS:g} s, stopped {SAFETY_MARGIN_SECONDS:g} s "
              f"early); the other edge registered {first_new_at - let_go_at:.1f} s after that "
              f"and every trunk read registered by it {moved:.1f} s into the stall")
