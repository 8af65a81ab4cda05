"""One PBX extension, one trunk, across tenants: the edge claims a trunk's registration
identity before its worker may send REGISTER (edge/control.py; no processes, no threads; fake
claims table)."""

from __future__ import annotations

import pytest

from edge.protocol import ExtensionChecked, RegistrarResolved, Release
from edge.supervisor import Supervisor
from smartalex.domain.assignment import registration_identity

from .conftest import poll, ready, settle
from .fakes import TRUNK, FakeRegistrationClaims

OTHER = "trk_other"
PBX = ("203.0.113.10",)


@pytest.fixture
def claims() -> FakeRegistrationClaims:
    return FakeRegistrationClaims()


@pytest.fixture
def edge(make_supervisor, claims) -> Supervisor:
    edge = make_supervisor(claims)
    ready(edge)
    poll(edge)
    return edge


def answers(edge: Supervisor) -> list[ExtensionChecked]:
    return [m for w in edge.workers for m in w.conn.sent if isinstance(m, ExtensionChecked)]


def resolve(edge: Supervisor, addresses=PBX, generation: int = 1) -> None:
    """The worker's message, then the loop's claims of what the workers resolved."""
    w = edge.worker_for(TRUNK)
    edge.on_worker_message(w, RegistrarResolved(TRUNK, generation,
                                                tuple((a, 5060) for a in addresses)))
    settle(edge)


def identity(table, addresses=PBX) -> tuple[str, ...]:
    account = table.trunks[TRUNK].account
    return registration_identity([(a, account.port) for a in addresses], account.extension)


def test_a_free_extension_is_claimed_for_the_trunk_and_the_worker_may_register(
        edge, claims, table):
    resolve(edge)
    assert answers(edge) == [ExtensionChecked(TRUNK, 1, True)]
    assert {k: o for k, (o, _) in claims.owners.items()} == {k: TRUNK for k in identity(table)}


def test_an_extension_another_trunk_registers_is_refused(edge, claims, table, time):
    for key in identity(table):
        claims.owners[key] = (OTHER, time.wall() + 60)
    resolve(edge)
    assert answers(edge) == [ExtensionChecked(TRUNK, 1, False)]


def test_any_shared_address_is_the_same_pbx(edge, claims, table, time):
    """pbx.example.com resolving to two addresses, one of them another trunk's IP literal."""
    claims.owners[identity(table, ("198.51.100.20",))[0]] = (OTHER, time.wall() + 60)
    resolve(edge, addresses=("203.0.113.10", "198.51.100.20"))
    assert answers(edge) == [ExtensionChecked(TRUNK, 1, False)]
    assert identity(table)[0] not in claims.owners  # nothing half-claimed


def test_an_expired_claim_of_another_trunk_is_taken(edge, claims, table, time):
    for key in identity(table):
        claims.owners[key] = (OTHER, time.wall() - 1)
    resolve(edge)
    assert answers(edge)[-1].free


def test_an_answer_for_an_old_generation_is_not_given(edge, table):
    resolve(edge, generation=0)
    assert answers(edge) == []


def test_a_claim_that_cannot_be_written_is_retried_and_the_worker_waits(edge, claims):
    claims.failing = True
    resolve(edge)
    assert answers(edge) == []
    claims.failing = False
    edge.control.keep_registration_claims()
    edge.take_events()
    assert answers(edge) == [ExtensionChecked(TRUNK, 1, True)]


def test_the_claim_is_renewed_while_the_trunk_is_held(edge, claims, table, time):
    resolve(edge)
    first = claims.owners[identity(table)[0]][1]
    time.advance(41)
    edge.control.keep_registration_claims()
    edge.take_events()
    assert claims.owners[identity(table)[0]][1] == first + 41


def test_a_deleted_trunk_frees_its_extension(edge, claims, table):
    resolve(edge)
    table.delete(TRUNK)
    poll(edge)
    assert claims.owners == {}


def test_a_trunk_moved_to_another_edge_keeps_its_claim_for_the_next_holder(
        edge, claims, table, time):
    resolve(edge)
    table.take_over(TRUNK, "edge-b#1")
    poll(edge)
    assert set(claims.owners) == set(identity(table)) and TRUNK not in edge.control.claimed


def test_a_changed_registrar_gives_back_the_old_identity(edge, claims, table):
    resolve(edge)
    table.bump_generation(TRUNK)
    poll(edge)
    resolve(edge, addresses=("198.51.100.99",), generation=2)
    assert set(claims.owners) == set(identity(table, ("198.51.100.99",)))


def test_a_claim_lost_to_another_trunk_lets_the_trunk_go(edge, claims, table, time):
    resolve(edge)
    for key in identity(table):  # ours lapsed during an outage; another trunk took it
        claims.owners[key] = (OTHER, time.wall() + 500)
    time.advance(41)
    edge.control.keep_registration_claims()
    edge.take_events()
    w = edge.worker_for(TRUNK)
    assert Release(TRUNK) in w.conn.sent and TRUNK not in edge.control.claimed


def test_renewals_due_together_are_spread_oldest_first(make_supervisor, claims, table, time,
                                                       monkeypatch):
    from edge import control

    monkeypatch.setattr(control, "RENEWALS_PER_TURN", 2)
    edge = make_supervisor(claims, trunks_per_worker=3)
    ready(edge)
    for i in range(2, 6):
        table.add(f"trk_{i:04d}")
    poll(edge)
    for n, trunk_id in enumerate(sorted(edge.keeper.held)):
        w = edge.worker_for(trunk_id)
        edge.on_worker_message(w, RegistrarResolved(trunk_id, 1, ((f"203.0.113.{n}", 5060),)))
        settle(edge)
        time.advance(0.1)
    first = {t: c.renewed_at for t, c in edge.control.claimed.items()}
    time.advance(41)
    edge.control.keep_registration_claims()
    renewed = [t for t, c in edge.control.claimed.items() if c.renewed_at != first[t]]
    assert renewed == sorted(first, key=first.get)[:2]
    edge.control.keep_registration_claims()
    assert all(c.renewed_at != first[t] for t, c in list(edge.control.claimed.items())[:4])
