"""What a trunk no edge holds says it waits for, read through the API with IAM enforced: "no
capacity left" while every live edge wrote, with its lease, that it has no room; otherwise a
hand-over's "waiting for an edge" (issue 11: honest status)."""

from __future__ import annotations

import time

import pytest

from smartalex.domain.registration import FLEET_FULL, WAITING_FOR_EDGE


@pytest.fixture
def fleet(aws_endpoint):
    """Edges' lease items written as running edges write them (adapters/dynamodb/leases.py),
    once no other edge lease is alive; every one is handed back afterwards, so no other test
    sees a full fleet."""
    from smartalex.adapters.dynamodb.fleet import read_fleet
    from smartalex.adapters.dynamodb.leases import DynamoLeaseStore
    from smartalex.domain.assignment import LEASE_SECONDS, holder_of

    deadline = time.monotonic() + LEASE_SECONDS + 2  # another test's lease runs out by then
    while any(edge.alive(time.time()) for edge in read_fleet()):
        assert time.monotonic() < deadline, "another edge lease stays alive"
        time.sleep(0.2)
    written: list[tuple[DynamoLeaseStore, str]] = []

    def start(edge_id: str, room: int) -> tuple[DynamoLeaseStore, str]:
        store, holder = DynamoLeaseStore(edge_id), holder_of(edge_id, 1)
        store.acquire(holder, time.time(), room=room)
        written.append((store, holder))
        return store, holder

    yield start
    for store, holder in written:
        store.finish(holder, time.time(), expired_only=False)


def error_of(api, trunk_id: str) -> str:
    return api.get(f"/v1/trunks/{trunk_id}").json["registration"]["error"]


def test_a_trunk_reads_no_capacity_left_while_every_live_edge_is_full(alice, fleet):
    trunk = alice.create()
    fleet(f"edge-full-a-{trunk['id']}", room=0)
    store, holder = fleet(f"edge-full-b-{trunk['id']}", room=0)

    assert error_of(alice, trunk["id"]) == FLEET_FULL
    listed = {t["id"]: t for t in alice.get("/v1/trunks").json["trunks"]}
    assert listed[trunk["id"]]["registration"]["error"] == FLEET_FULL
    assert listed[trunk["id"]]["registration"]["state"] == "connecting"
    health = alice.get(f"/v1/trunks/{trunk['id']}/diagnostics").json["health"]
    assert (health["registration"]["error"], health["credentials_valid"]) == (
        FLEET_FULL, "not yet known")

    store.renew(holder, time.time(), room=3)  # one edge has room again
    assert error_of(alice, trunk["id"]) == WAITING_FOR_EDGE


def test_with_no_edge_running_it_waits_for_one(alice, fleet):
    trunk = alice.create()
    assert error_of(alice, trunk["id"]) == WAITING_FOR_EDGE
