"""Edge leases on the local DynamoDB endpoint (adapters/dynamodb/leases.py): the conditions that
keep two edges from holding one trunk, and the API's view of who holds a trunk until when."""

from __future__ import annotations

import time
import uuid

import pytest

from smartalex.adapters.dynamodb.leases import FORGET_AFTER_SECONDS, DynamoLeaseStore
from smartalex.adapters.dynamodb.models import TrunkModel
from smartalex.adapters.dynamodb.trunks import DynamoTrunkRepository
from smartalex.domain.assignment import LEASE_SECONDS, free_holder, holder_of
from smartalex.domain.commands import CreateTrunk
from smartalex.service_layer import trunks as svc


@pytest.fixture
def services(aws_endpoint):
    from smartalex.bootstrap import bootstrap

    return bootstrap()


@pytest.fixture
def trunk(services):
    return svc.create_trunk(CreateTrunk(
        tenant_id=f"t-{uuid.uuid4().hex[:8]}", pbx_type="other", domain="203.0.113.7",
        extension="1000", password="pw-lease-test"), trunks=services.trunks,
        secrets=services.secrets)


def edge(name: str) -> tuple[DynamoLeaseStore, str]:
    edge_id = f"edge-{name}-{uuid.uuid4().hex[:6]}"
    return DynamoLeaseStore(edge_id), holder_of(edge_id, 1)


def test_a_new_trunk_is_unheld_and_found_under_its_free_shard(trunk):
    store, _ = edge("a")
    assert trunk.lease is None
    assert trunk.trunk_id in store.held_by(free_holder(trunk.trunk_id), 1000)


def test_a_claimed_trunk_is_held_until_its_edges_lease_expires(trunk):
    store, holder = edge("a")
    now = time.time()
    expires = store.acquire(holder, now)
    claimed = store.claim(trunk.trunk_id, free_holder(trunk.trunk_id), holder, now)
    assert claimed is not None and claimed.lease.fence == 1
    seen = DynamoTrunkRepository().find(trunk.trunk_id)
    assert (seen.lease.owner, seen.lease.expires_at, seen.lease.holder) == (
        store.edge_id, expires, holder)
    assert not seen.lease.is_expired(now)
    later = store.renew(holder, now + 1)
    assert DynamoTrunkRepository().find(trunk.trunk_id).lease.expires_at == later == \
        now + 1 + LEASE_SECONDS
    assert trunk.trunk_id in store.held_by(holder, 10)
    assert trunk.trunk_id not in store.held_by(free_holder(trunk.trunk_id), 1000)


def test_a_trunk_is_claimed_once_whoever_races_for_it(trunk):
    a, a_holder = edge("a")
    b, b_holder = edge("b")
    now = time.time()
    a.acquire(a_holder, now)
    b.acquire(b_holder, now)
    free = free_holder(trunk.trunk_id)
    assert a.claim(trunk.trunk_id, free, a_holder, now) is not None
    assert b.claim(trunk.trunk_id, free, b_holder, now) is None
    assert DynamoTrunkRepository().find(trunk.trunk_id).lease.owner == a.edge_id


def test_a_live_lease_cannot_be_finished_and_a_finished_one_is_never_renewed(trunk):
    a, a_holder = edge("a")
    b, _ = edge("b")
    now = time.time()
    a.acquire(a_holder, now)
    assert not b.finish(a_holder, now)  # not expired by b's clock
    assert b.finish(a_holder, now + LEASE_SECONDS + 0.001)
    assert a.renew(a_holder, now + 1) is None  # a learns it is over
    record = next(e for e in b.edges() if e.holder == a_holder)
    assert record.finished and record.finished_at == now + LEASE_SECONDS + 0.001


def test_an_expired_lease_is_not_renewed_even_by_its_own_edge(trunk):
    a, a_holder = edge("a")
    now = time.time()
    a.acquire(a_holder, now)
    assert a.renew(a_holder, now + LEASE_SECONDS + 0.5) is None


def test_a_dead_edges_trunks_are_claimed_once_its_lease_is_finished(trunk):
    a, a_holder = edge("a")
    b, b_holder = edge("b")
    now = time.time()
    a.acquire(a_holder, now - 60)
    a.claim(trunk.trunk_id, free_holder(trunk.trunk_id), a_holder, now - 60)
    assert DynamoTrunkRepository().find(trunk.trunk_id).lease.is_expired(now)  # API: unheld
    b.acquire(b_holder, now)
    assert b.finish(a_holder, now)
    assert b.held_by(a_holder, 10) == [trunk.trunk_id]
    claimed = b.claim(trunk.trunk_id, a_holder, b_holder, now)
    assert claimed is not None and claimed.lease.fence == 2
    assert a.claim(trunk.trunk_id, a_holder, a_holder, now) is None  # a woke up: too late


def test_a_trunk_handed_back_goes_to_its_free_shard_unless_it_changed_hands(trunk):
    a, a_holder = edge("a")
    now = time.time()
    a.acquire(a_holder, now)
    claimed = a.claim(trunk.trunk_id, free_holder(trunk.trunk_id), a_holder, now)
    a.release(claimed.lease, trunk.trunk_id)
    assert DynamoTrunkRepository().find(trunk.trunk_id).lease is None
    a.release(claimed.lease, trunk.trunk_id)  # again: nothing changes, nothing raised
    assert TrunkModel.get(trunk.trunk_id).lease_holder == free_holder(trunk.trunk_id)


def test_a_finished_lease_is_forgotten_only_long_after(trunk):
    a, a_holder = edge("a")
    now = time.time()
    a.acquire(a_holder, now)
    a.finish(a_holder, now, expired_only=False)
    assert not a.forget(a_holder, now + FORGET_AFTER_SECONDS - 1)
    assert a.forget(a_holder, now + FORGET_AFTER_SECONDS + 1)
    assert a_holder not in {e.holder for e in a.edges()}


def test_trunks_stored_before_edge_leases_are_given_a_holder(trunk):
    from smartalex.adapters.dynamodb.leases import adopt_unindexed

    TrunkModel(trunk.trunk_id).update(actions=[TrunkModel.lease_holder.remove()])
    assert adopt_unindexed() >= 1
    assert TrunkModel.get(trunk.trunk_id).lease_holder == free_holder(trunk.trunk_id)


def test_a_trunk_of_a_handed_back_lease_reads_unheld_since_it_was_handed_back(trunk):
    a, a_holder = edge("a")
    now = time.time()
    a.acquire(a_holder, now - 30)
    a.claim(trunk.trunk_id, free_holder(trunk.trunk_id), a_holder, now - 30)
    a.finish(a_holder, now - 10, expired_only=False)
    lease = DynamoTrunkRepository().find(trunk.trunk_id).lease
    assert lease.is_expired(now) and lease.expires_at == now - 10
