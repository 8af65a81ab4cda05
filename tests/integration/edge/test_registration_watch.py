"""Once registered, the edge keeps checking that the registration is really there: another
device taking the extension, other devices registered beside it, a PBX restart that forgot it.

The edges here check more often than the defaults (SMARTALEX_EDGE_KEEPALIVE_SECONDS 20,
SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS 60; tests/unit/edge/test_registration_driver.py pins
those) so that each test takes seconds; what they check is the same.
"""

from __future__ import annotations

import time

import pytest

from smartalex.domain.commands import CreateTrunk, ReregisterTrunk
from smartalex.service_layer import trunks as trunk_cases

from .conftest import wait_for
from .office import TENANT, USERS, errors, make_office, registered

pytestmark = pytest.mark.sip

QUICK = {"SMARTALEX_EDGE_KEEPALIVE_SECONDS": "2", "SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS": "2"}


def status(control_plane, trunk):
    return control_plane.trunks.get(TENANT, trunk.trunk_id).registration


def ours(contacts: list[str]) -> list[str]:
    return [c for c in contacts if "sa-trunk=" in c]


def test_a_desk_phone_taking_the_ais_extension_fails_the_trunk_and_is_left_alone(
        control_plane, office, edge_factory, phone_factory):
    pbx, trunk, _ = office
    edge = edge_factory(workers=1, **QUICK)
    registered(control_plane, trunk)

    desk = phone_factory(pbx, "1000", "secret")  # set up with the AI's own credentials
    desk.wait_for("registered", 10)
    failed = wait_for(lambda: (s := status(control_plane, trunk)).state == "failed" and s, 15,
                      "the trunk to notice")
    assert failed.error.startswith("Another device registered as extension 1000 on the PBX")
    assert "then click Re-register" in failed.error
    wait_for(lambda: any(e.message == failed.error for e in errors(control_plane, trunk)), 5,
             "the problem listed in Diagnostics")

    # The edge stands down: the desk phone keeps the extension, check after check.
    wait_for(lambda: "standing down" in edge.log_text(), 5, "the edge to stand down")
    until = time.monotonic() + 3 * 2 + 1
    while time.monotonic() < until:
        contacts = pbx.contacts("1000")
        assert contacts and not ours(contacts), contacts
        time.sleep(0.2)

    desk.stop()  # the desk phone is set up properly; the admin clicks Re-register
    pbx.wait_for_contact("1000", present=False)
    trunk_cases.reregister_trunk(ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                                 trunks=control_plane.trunks)
    registered(control_plane, trunk)
    assert ours(pbx.contacts("1000"))


def test_other_devices_registered_beside_the_ai_are_a_warning(
        control_plane, tmp_path, edge_factory, phone_factory):
    office = make_office(control_plane, tmp_path, contacts_per_extension=3)
    pbx, trunk, _ = next(office)
    try:
        edge_factory(workers=1, **QUICK)
        registered(control_plane, trunk)
        desk = phone_factory(pbx, "1000", "secret")
        desk.wait_for("registered", 10)

        warned = wait_for(lambda: (s := status(control_plane, trunk)).warning and s, 15,
                          "the warning")
        assert warned.state == "registered"  # calls still reach the AI
        assert "from other devices (1 besides the AI's)" in warned.warning
        assert len(pbx.contacts("1000")) == 2

        desk.stop()
        wait_for(lambda: status(control_plane, trunk).warning is None, 15,
                 "the warning to clear")
    finally:
        office.close()


def test_a_pbx_that_goes_away_reads_connecting_and_is_registered_with_soon_after_it_is_back(
        control_plane, office, edge_factory):
    pbx, trunk, _ = office
    edge_factory(workers=1, **QUICK)
    registered(control_plane, trunk)

    pbx.stop()  # a PBX restart that takes a while, and forgets every registration
    connecting = wait_for(lambda: (s := status(control_plane, trunk)).state == "connecting"
                          and s, 15, "the trunk to read Connecting")
    assert "No answer from the PBX" in connecting.error
    pbx.start()
    back = time.monotonic()
    contacts = pbx.wait_for_contact("1000", timeout=30)
    assert ours(contacts) and time.monotonic() - back < 30
    registered(control_plane, trunk)


def test_a_pbx_restart_too_quick_for_the_keepalive_is_caught_by_the_bindings_check(
        control_plane, office, edge_factory):
    pbx, trunk, _ = office
    edge = edge_factory(workers=1, **QUICK)
    registered(control_plane, trunk)

    pbx.restart()
    assert pbx.contacts("1000") == []
    assert ours(pbx.wait_for_contact("1000", timeout=30))
    assert "forgot the registration" in edge.log_text()
    assert status(control_plane, trunk).state == "registered"


def test_trunks_at_one_pbx_share_one_keepalive_and_all_come_back_after_it_went_away(
        control_plane, office, edge_factory):
    """edge/keepalive.py: the question is about the PBX, not the extension."""
    pbx, first, _ = office
    trunks = [first] + [trunk_cases.create_trunk(CreateTrunk(
        tenant_id=TENANT, pbx_type="asterisk", domain=pbx.host, port=pbx.port,
        extension=ext, password=USERS[ext]), trunks=control_plane.trunks,
        secrets=control_plane.secrets) for ext in ("215", "300")]
    edge_factory(workers=1, SMARTALEX_EDGE_KEEPALIVE_SECONDS="2",
                 SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS="60")
    for trunk in trunks:
        registered(control_plane, trunk)
    time.sleep(3 * 2)  # every trunk has been due at least twice: their keepalives keep time

    since = pbx.log_path.stat().st_size
    time.sleep(10)
    asked = pbx.keepalives(since)
    # One request every 2 s for the three (5 in 10 s; 15 if each trunk asked for itself).
    assert 4 <= len(asked) <= 7, asked

    pbx.stop()
    for trunk in trunks:
        wait_for(lambda: status(control_plane, trunk).state == "connecting", 15,
                 f"trunk {trunk.trunk_id} to read Connecting")
    pbx.start()
    back = time.monotonic()
    for ext in ("1000", "215", "300"):
        assert ours(pbx.wait_for_contact(ext, timeout=30)), ext
    assert time.monotonic() - back < 30
    for trunk in trunks:
        registered(control_plane, trunk)
