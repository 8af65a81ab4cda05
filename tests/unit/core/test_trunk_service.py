"""Trunk use cases against in-memory ports."""

from copy import deepcopy

import pytest

from smartalex.domain.commands import CreateTrunk, DeleteTrunk, ReregisterTrunk, UpdateTrunk
from smartalex.domain.errors import Conflict, NotFound
from smartalex.domain.messages import order_key
from smartalex.domain.registration import RegistrationState, RegistrationStatus
from smartalex.domain.trunk import Transport
from smartalex.service_layer.trunks import (
    create_trunk,
    delete_trunk,
    reregister_trunk,
    update_trunk,
)

from tests.unit.directory.fakes import FakeDirectoryRepository

from .fakes import FakeClock, FakePhoneNumberRepository, FakeSecretStore, FakeTrunkRepository

TENANT = "tenant-a"
PASSWORD = "first-pass-123"


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    return FakeTrunkRepository()


@pytest.fixture
def secrets() -> FakeSecretStore:
    return FakeSecretStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def deps(trunks, secrets, clock) -> dict:
    return dict(trunks=trunks, secrets=secrets, clock=clock)


def create(deps, **fields):
    values = dict(tenant_id=TENANT, pbx_type="asterisk", domain="pbx.example.com",
                  extension="1000", password=PASSWORD)
    values.update(fields)
    return create_trunk(CreateTrunk(**values), **deps)


def update(deps, trunk, tenant_id=TENANT, **fields):
    return update_trunk(UpdateTrunk(tenant_id=tenant_id, trunk_id=trunk.trunk_id, **fields),
                        **deps)


def registered(trunks: FakeTrunkRepository, trunk_id: str) -> None:
    """The edge reported the trunk registered (as the edge-events handler would store it)."""
    generation = trunks.find(trunk_id).generation
    assert trunks.record_registration(trunk_id, order_key(generation, 1, 1),
                                      RegistrationStatus(state=RegistrationState.REGISTERED))


# --- create ---

def test_create_stores_the_trunk_and_its_password(deps, trunks, secrets):
    trunk = create(deps, label="Front desk")
    assert trunks.get(TENANT, trunk.trunk_id) == trunk
    assert secrets.passwords == {trunk.trunk_id: PASSWORD}
    assert trunk.generation == 1
    assert trunk.registration.state is RegistrationState.CONNECTING
    assert trunk.registration.since == trunk.created_at
    assert (trunk.account.username, trunk.account.port, trunk.label) == ("1000", 5060, "Front desk")


def test_the_password_is_not_part_of_the_stored_trunk(deps, trunks):
    trunk = create(deps)
    assert PASSWORD not in repr(trunks.find(trunk.trunk_id))


def test_a_conflicting_create_leaves_no_secret_behind(deps, trunks, secrets):
    first = create(deps)
    with pytest.raises(Conflict, match="1000"):
        create(deps, domain="PBX.example.com", password="second-pass")
    assert secrets.passwords == {first.trunk_id: PASSWORD}
    assert list(trunks.trunks) == [first.trunk_id]


def test_the_same_extension_on_another_domain_or_tenant_is_fine(deps, trunks):
    create(deps)
    create(deps, domain="pbx2.example.com")
    create(deps, tenant_id="tenant-b")
    assert len(trunks.trunks) == 3


# --- update ---

def test_a_label_change_keeps_the_generation_and_the_status(deps, trunks):
    trunk = create(deps)
    registered(trunks, trunk.trunk_id)
    after = update(deps, trunk, label="Reception")
    stored = trunks.find(trunk.trunk_id)
    assert after.generation == stored.generation == 1
    assert stored.label == "Reception"
    assert stored.registration.state is RegistrationState.REGISTERED


def test_a_pbx_type_change_keeps_the_generation(deps, trunks):
    trunk = create(deps)
    assert update(deps, trunk, pbx_type="freepbx").generation == 1


@pytest.mark.parametrize("fields", [
    {"password": "second-pass-456"},
    {"domain": "pbx2.example.com"},
    {"transport": "tcp"},
    {"port": 5080},
    {"extension": "1001"},
    {"username": "auth-1000"},
], ids=lambda f: next(iter(f)))
def test_a_change_the_pbx_must_see_bumps_the_generation_and_resets_the_status(
        deps, trunks, clock, fields):
    trunk = create(deps)
    registered(trunks, trunk.trunk_id)
    after = update(deps, trunk, **fields)
    stored = trunks.find(trunk.trunk_id)
    assert after.generation == stored.generation == 2
    assert stored.registration == RegistrationStatus(since=clock.now)
    assert stored.registration.state is RegistrationState.CONNECTING
    assert trunks.orders[trunk.trunk_id] == order_key(2, 0, 0)


def test_resending_the_current_values_does_not_bump_the_generation(deps):
    trunk = create(deps, port=5080)
    assert update(deps, trunk, domain="pbx.example.com", port=5080).generation == 1


def test_a_password_change_stores_the_new_password(deps, secrets):
    trunk = create(deps)
    update(deps, trunk, password="second-pass-456")
    assert secrets.get(trunk.trunk_id) == "second-pass-456"


def test_a_transport_change_without_a_port_moves_to_the_transport_default(deps, trunks):
    trunk = create(deps, port=5080)
    assert update(deps, trunk, transport="tls").account.port == 5061
    assert trunks.find(trunk.trunk_id).account.transport is Transport.TLS
    assert trunks.find(trunk.trunk_id).account.port == 5061


def test_a_transport_change_with_a_port_keeps_that_port(deps, trunks):
    trunk = create(deps)
    update(deps, trunk, transport="tls", port=5071)
    assert trunks.find(trunk.trunk_id).account.port == 5071


def test_resending_the_current_transport_keeps_a_custom_port(deps, trunks):
    # A PATCH that repeats the transport changes nothing, so it must not move the port.
    trunk = create(deps, port=5080)
    after = update(deps, trunk, transport="udp")
    assert after.account.port == 5080
    assert after.generation == 1


def test_an_update_onto_another_trunks_extension_is_a_conflict(deps, trunks):
    create(deps, extension="1001")
    trunk = create(deps)
    with pytest.raises(Conflict, match="1001"):
        update(deps, trunk, extension="1001")
    assert trunks.find(trunk.trunk_id) == trunk


def test_a_failed_update_after_a_password_change_restores_the_previous_password(
        deps, trunks, secrets):
    create(deps, domain="pbx2.example.com")
    trunk = create(deps)
    with pytest.raises(Conflict):
        update(deps, trunk, domain="pbx2.example.com", password="second-pass-456")
    assert secrets.get(trunk.trunk_id) == PASSWORD
    assert trunks.find(trunk.trunk_id) == trunk


def test_an_update_racing_another_is_a_conflict_and_keeps_the_other(deps, trunks, secrets,
                                                                     clock):
    trunk = create(deps)

    def racing_clock():
        # Another request lands between this one's read and its write.
        update(deps, trunk, label="Theirs")
        return clock()

    with pytest.raises(Conflict, match="changed by another request"):
        update(dict(deps, clock=racing_clock), trunk, password="second-pass-456")
    assert trunks.find(trunk.trunk_id).label == "Theirs"
    assert trunks.find(trunk.trunk_id).generation == 1
    assert secrets.get(trunk.trunk_id) == PASSWORD


def test_a_new_password_can_be_saved_when_the_stored_one_is_missing(deps, trunks, secrets):
    # The NO_CREDENTIALS message tells the admin to re-enter the password; that must work.
    trunk = create(deps)
    secrets.delete(trunk.trunk_id)
    after = update(deps, trunk, password="second-pass-456")
    assert secrets.get(trunk.trunk_id) == "second-pass-456"
    assert after.generation == 2


# --- reregister ---

def test_reregister_bumps_the_generation_and_resets_the_status(deps, trunks, clock):
    trunk = create(deps)
    registered(trunks, trunk.trunk_id)
    after = reregister_trunk(ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                             trunks=trunks, clock=clock)
    stored = trunks.find(trunk.trunk_id)
    assert after.generation == stored.generation == 2
    assert stored.registration.state is RegistrationState.CONNECTING
    assert stored.registration.since == clock.now
    assert stored.account == trunk.account


def test_each_reregister_is_a_new_generation(deps, trunks, clock):
    trunk = create(deps)
    for expected in (2, 3, 4):
        cmd = ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id)
        assert reregister_trunk(cmd, trunks=trunks, clock=clock).generation == expected


# --- delete ---

def test_delete_removes_the_trunk_and_its_password(deps, trunks, secrets):
    trunk = create(deps)
    delete_trunk(DeleteTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                 trunks=trunks, numbers=FakePhoneNumberRepository(trunks),
                 directory=FakeDirectoryRepository(trunks), secrets=secrets)
    assert trunks.find(trunk.trunk_id) is None
    assert secrets.passwords == {}
    with pytest.raises(NotFound):
        trunks.get(TENANT, trunk.trunk_id)


def test_a_deleted_trunks_extension_can_be_used_again(deps, trunks, secrets):
    trunk = create(deps)
    delete_trunk(DeleteTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                 trunks=trunks, numbers=FakePhoneNumberRepository(trunks),
                 directory=FakeDirectoryRepository(trunks), secrets=secrets)
    assert create(deps).trunk_id != trunk.trunk_id


# --- tenancy ---

@pytest.mark.parametrize("use_case", [
    lambda d, t: update_trunk(UpdateTrunk(tenant_id="tenant-b", trunk_id=t, label="x"), **d),
    lambda d, t: update_trunk(UpdateTrunk(tenant_id="tenant-b", trunk_id=t, password="pw-b"), **d),
    lambda d, t: update_trunk(UpdateTrunk(tenant_id="tenant-b", trunk_id=t, domain="b.example"),
                              **d),
    lambda d, t: reregister_trunk(ReregisterTrunk(tenant_id="tenant-b", trunk_id=t),
                                  trunks=d["trunks"], clock=d["clock"]),
    lambda d, t: delete_trunk(DeleteTrunk(tenant_id="tenant-b", trunk_id=t),
                              trunks=d["trunks"], numbers=FakePhoneNumberRepository(d["trunks"]),
                              directory=FakeDirectoryRepository(d["trunks"]),
                              secrets=d["secrets"]),
], ids=["label", "password", "domain", "reregister", "delete"])
def test_another_tenant_gets_not_found_and_changes_nothing(deps, trunks, secrets, use_case):
    trunk = create(deps)
    before = (deepcopy(trunks.trunks), dict(trunks.orders), dict(trunks.claims),
              dict(secrets.passwords))
    with pytest.raises(NotFound):
        use_case(deps, trunk.trunk_id)
    assert (trunks.trunks, trunks.orders, trunks.claims, secrets.passwords) == before


def test_another_tenant_cannot_see_or_list_the_trunk(deps, trunks):
    trunk = create(deps)
    with pytest.raises(NotFound):
        trunks.get("tenant-b", trunk.trunk_id)
    assert trunks.list("tenant-b") == []
    assert trunks.list(TENANT) == [trunk]


@pytest.mark.parametrize("trunk_id", ["trk_missing", ""])
def test_an_unknown_trunk_is_not_found(deps, trunk_id):
    with pytest.raises(NotFound):
        update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk_id, label="x"), **deps)
