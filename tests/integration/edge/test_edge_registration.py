"""The edge registers trunks on a real Kamailio and its status reaches the control plane.

Path under test: trunk in DynamoDB → edge lease → pjsua2 REGISTER → Kamailio → edge →
SQS → edge-events handler → DynamoDB.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import pytest

from devstack.pbx import KamailioPBX
from smartalex.domain.commands import CreateTrunk, DeleteTrunk, ReregisterTrunk, UpdateTrunk
from smartalex.domain.registration import AUTH_MESSAGE
from smartalex.service_layer import trunks as svc

from .conftest import wait_for

pytestmark = pytest.mark.sip
TENANT = "acme"


def create(services, pbx, extension="1000", password="secret", transport="udp", port=None,
           **fields):
    cmd = CreateTrunk(tenant_id=TENANT, pbx_type="other", domain=pbx.host, extension=extension,
                      password=password, transport=transport, port=port or pbx.port, **fields)
    return svc.create_trunk(cmd, trunks=services.trunks, secrets=services.secrets)


def status_of(services, trunk):
    return services.trunks.get(TENANT, trunk.trunk_id).registration


def wait_state(services, trunk, state, timeout=20):
    """The deadline counts from before the edge starts (its workers spawn and import pjsua2:
    seconds on a busy machine), so it is a bound, not a measurement."""
    return wait_for(lambda: (s := status_of(services, trunk)).state == state and s,
                    timeout, f"{trunk.account.extension} to be {state}")


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls"])
def test_a_trunk_registers_and_reads_registered_as_its_extension(
        control_plane, tmp_path, edge_factory, transport):
    with KamailioPBX(tmp_path / "pbx-tls", users={"1000": "secret"}, tls=True) as pbx:
        trunk = create(control_plane, pbx, transport=transport,
                       port=pbx.tls_port if transport == "tls" else pbx.port)
        # The certificate is checked: the edge trusts the test PBX's own CA, as it trusts
        # public CAs in production.
        edge_factory(SMARTALEX_EDGE_TLS_CA_FILE=str(pbx.workdir / "tls-cert.pem"))
        status = wait_state(control_plane, trunk, "registered")
        assert status.label("1000") == "Registered as ext 1000"
        assert status.sip_code == 200 and status.error is None and status.expires_at is not None
        contacts = pbx.wait_for_contact("1000")
        assert len(contacts) == 1
        assert ("transport=tcp" in contacts[0].lower()) == (transport == "tcp")
        assert ("transport=tls" in contacts[0].lower()) == (transport == "tls")


def test_an_untrusted_tls_certificate_fails_with_what_to_do_until_verification_is_off(
        control_plane, tmp_path, edge_factory):
    pbx = KamailioPBX(tmp_path / "pbx-self-signed", users={"1000": "secret"}, tls=True).start()
    try:
        trunk = create(control_plane, pbx, transport="tls", port=pbx.tls_port)
        edge_factory()  # public CAs only: the PBX's self-signed certificate is not among them
        status = wait_state(control_plane, trunk, "failed")
        assert "presented a TLS certificate we do not trust" in status.error
        assert "set tls_verify to false" in status.error
        assert pbx.contacts("1000") == []

        svc.update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id,
                                     tls_verify=False),
                         trunks=control_plane.trunks, secrets=control_plane.secrets)
        wait_state(control_plane, trunk, "registered")
        assert "transport=tls" in pbx.wait_for_contact("1000")[0].lower()
    finally:
        pbx.stop()


def test_a_wrong_password_fails_with_authentication_required_and_is_not_retried(
        control_plane, pbx, edge_factory):
    trunk = create(control_plane, pbx, password="wrong-password")
    edge = edge_factory()
    status = wait_state(control_plane, trunk, "failed")
    assert status.error == AUTH_MESSAGE and status.sip_code == 401
    assert pbx.contacts("1000") == []
    # Fixing the password through PATCH re-registers.
    svc.update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id, password="secret"),
                     trunks=control_plane.trunks, secrets=control_plane.secrets)
    wait_state(control_plane, trunk, "registered")
    pbx.wait_for_contact("1000")
    assert edge.log_text().count('"sip_code":401') == 1, "auth failures must not be retried"
    assert "wrong-password" not in edge.log_text() and "secret" not in edge.log_text()


def test_a_403_fails_naming_its_likely_causes_not_the_password_and_re_register_retries_it(
        control_plane, pbx, edge_factory):
    """Like 3CX refusing an extension outside its LAN: a 403 to REGISTER (the suite's PBX
    forbids the extension at runtime, as an admin's setting would)."""
    pbx.forbid("1000")
    trunk = create(control_plane, pbx)
    edge = edge_factory()
    status = wait_state(control_plane, trunk, "failed")
    assert status.sip_code == 403 and status.error != AUTH_MESSAGE
    assert status.error.startswith(f"The PBX at {pbx.host} refused extension 1000 with 403 "
                                   "Forbidden. This is rarely the password")
    # The admin fixes it on the PBX and presses Re-register: it registers at once, without
    # waiting out the 5-minute retry.
    pbx.forbid("1000", False)
    svc.reregister_trunk(ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                         trunks=control_plane.trunks)
    wait_state(control_plane, trunk, "registered")
    assert edge.log_text().count('"sip_code":403') == 1  # not retried meanwhile


def test_an_unknown_extension_fails_saying_it_does_not_exist(control_plane, pbx, edge_factory):
    trunk = create(control_plane, pbx, extension="4242")
    edge_factory()
    status = wait_state(control_plane, trunk, "failed")
    assert status.sip_code == 404
    assert "Extension 4242 does not exist on the PBX" in status.error


def test_an_unreachable_pbx_stays_connecting_with_a_hint_within_seconds(control_plane, edge_factory):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    silent.bind(("127.0.0.1", 0))
    try:
        cmd = CreateTrunk(tenant_id=TENANT, pbx_type="other", domain="127.0.0.1", extension="1000",
                          password="secret", port=silent.getsockname()[1])
        trunk = svc.create_trunk(cmd, trunks=control_plane.trunks, secrets=control_plane.secrets)
        edge_factory()
        # The hint comes 4 s after the REGISTER; SIP's own timer F would say nothing for 32 s.
        # The 20 s also covers the edge's start.
        status = wait_for(lambda: (s := status_of(control_plane, trunk)).error and s, 20,
                          "the no-answer hint")
        assert status.state == "connecting" and status.label("1000") == "Connecting"
        assert "No answer from the PBX" in status.error and "firewall" in status.error
        assert status.since is not None and status.last_attempt_at is not None
    finally:
        silent.close()


def test_reregister_makes_the_edge_register_again_at_once(control_plane, pbx, edge_factory):
    trunk = create(control_plane, pbx)
    edge_factory()
    first = wait_state(control_plane, trunk, "registered")
    pbx.set_password("1000", "rotated")
    svc.update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id, password="rotated"),
                     trunks=control_plane.trunks, secrets=control_plane.secrets)
    again = svc.reregister_trunk(ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                                 trunks=control_plane.trunks)
    assert again.generation == trunk.generation + 2
    second = wait_state(control_plane, trunk, "registered")
    assert second.since > first.since


def test_re_registering_twice_leaves_the_extension_registered_on_the_pbx(
        control_plane, pbx, edge_factory):
    """pjsua reuses account ids: two Re-registers give the live account the id the first one
    had, and letting go of the first account must not delete the live one (it did, silently,
    within 10 s: the trunk read Registered while the PBX had no contact)."""
    trunk = create(control_plane, pbx)
    edge_factory(workers=1)
    since = wait_state(control_plane, trunk, "registered").since
    for _ in range(2):
        svc.reregister_trunk(ReregisterTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                             trunks=control_plane.trunks)
        since = wait_for(lambda: (s := status_of(control_plane, trunk)).since > since
                         and s.state == "registered" and s.since, 10, "the re-registration")
    contact = pbx.wait_for_contact("1000")
    watch_until = time.monotonic() + 12  # the old code let go of accounts 10 s after the drop
    while time.monotonic() < watch_until:
        assert pbx.contacts("1000") == contact
        time.sleep(0.2)
    assert status_of(control_plane, trunk).state == "registered"


def test_a_password_that_cannot_be_read_fails_then_registers_once_it_can(
        control_plane, pbx, edge_factory):
    """A secret-store error is most often passing: the edge keeps the trunk and reads the
    password again, backing off, rather than waiting for the admin."""
    trunk = create(control_plane, pbx)
    control_plane.secrets.delete(trunk.trunk_id)
    edge_factory()
    failed = wait_state(control_plane, trunk, "failed")
    assert failed.error.startswith("The SIP password for this trunk could not be read. We keep "
                                   "retrying")
    control_plane.secrets.put(trunk.trunk_id, "secret")
    wait_state(control_plane, trunk, "registered", timeout=15)
    assert pbx.wait_for_contact("1000")


def test_deleting_a_trunk_unregisters_it_from_the_pbx(control_plane, pbx, edge_factory):
    trunk = create(control_plane, pbx)
    edge_factory()
    wait_state(control_plane, trunk, "registered")
    pbx.wait_for_contact("1000")
    svc.delete_trunk(DeleteTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id),
                     trunks=control_plane.trunks, numbers=control_plane.numbers,
                     directory=control_plane.directory, secrets=control_plane.secrets)
    assert pbx.wait_for_contact("1000", present=False, timeout=10) == []


def test_sigterm_unregisters_every_trunk_and_hands_the_leases_back(control_plane, pbx, edge_factory):
    trunk = create(control_plane, pbx)
    edge = edge_factory()
    wait_state(control_plane, trunk, "registered")
    assert edge.terminate() == 0
    assert pbx.contacts("1000") == []
    assert control_plane.trunks.get(TENANT, trunk.trunk_id).held_at(time.time()) is None


def test_a_domain_that_does_not_resolve_fails_saying_so(control_plane, edge_factory):
    from devstack.dns import LoopbackDns

    with LoopbackDns() as dns:
        cmd = CreateTrunk(tenant_id=TENANT, pbx_type="3cx", domain="pbx.acme-does-not-exist.test",
                          extension="1000", password="secret")
        trunk = svc.create_trunk(cmd, trunks=control_plane.trunks, secrets=control_plane.secrets)
        edge_factory(SMARTALEX_EDGE_NAMESERVERS=dns.address)
        status = wait_state(control_plane, trunk, "failed")
    assert "pbx.acme-does-not-exist.test" in dns.queries
    assert status.error.startswith("The domain pbx.acme-does-not-exist.test does not resolve")


def test_a_crashed_worker_is_replaced_and_its_trunk_registered_again(control_plane, pbx,
                                                                      edge_factory):
    trunk = create(control_plane, pbx)
    edge = edge_factory(workers=1)
    first = wait_state(control_plane, trunk, "registered")
    worker = json.loads(edge.health_file.read_text())["workers"][0]
    os.kill(worker["pid"], signal.SIGKILL)
    again = wait_for(lambda: (s := status_of(control_plane, trunk)).state == "registered"
                     and s.since > first.since and s, 20, "the trunk registered by a new worker")
    assert again.label("1000") == "Registered as ext 1000"
    replacement = json.loads(edge.health_file.read_text())["workers"][0]
    assert replacement["pid"] != worker["pid"] and replacement["trunks"] == [trunk.trunk_id]
    assert edge.proc.poll() is None


def test_a_worker_replaced_while_the_secret_store_fails_registers_from_what_the_edge_kept(
        control_plane, pbx, edge_factory):
    """A worker's replacement needs nothing from AWS: the supervisor keeps each trunk's Hold
    (edge/placement.py), so a worker crash during a Secrets Manager outage costs seconds."""
    trunk = create(control_plane, pbx)
    edge = edge_factory(workers=1)
    first = wait_state(control_plane, trunk, "registered")
    control_plane.secrets.delete(trunk.trunk_id)
    old = json.loads(edge.health_file.read_text())["workers"][0]["pid"]
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: control_plane.trunks.get(TENANT, trunk.trunk_id).registration.since
             > first.since, 20, "the replacement to register the trunk again")
    assert json.loads(edge.health_file.read_text())["workers"][0]["pid"] != old
    assert pbx.wait_for_contact("1000")


def test_an_edge_whose_sip_port_is_taken_stops_saying_so_instead_of_restarting_forever(
        control_plane, edge_factory):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        edge = edge_factory(workers=1, SMARTALEX_EDGE_SIP_PORT_BASE=str(port))
        assert edge.proc.wait(30) == 1
    log = edge.log_text()
    assert "a worker cannot start" in log and "worker died; restarting it" not in log
