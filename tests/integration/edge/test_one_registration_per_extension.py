"""One PBX extension, one trunk, across tenants. Two trunks registering extension 1000 on the
same PBX would take its calls from each other at every refresh (the newest REGISTER wins,
silently); the second trunk is stored but reads Failed, never sends REGISTER, and registers
once the first is deleted."""

from __future__ import annotations

import pytest

from smartalex.domain.commands import CreateTrunk, DeleteTrunk
from smartalex.service_layer import trunks as svc

from .conftest import wait_for

pytestmark = pytest.mark.sip


def trunk_of(services, tenant, pbx, domain):
    return svc.create_trunk(CreateTrunk(tenant_id=tenant, pbx_type="other", domain=domain,
                                        port=pbx.port, extension="1000", password="secret"),
                            trunks=services.trunks, secrets=services.secrets)


def status(services, trunk):
    return services.trunks.get(trunk.tenant_id, trunk.trunk_id).registration


def test_a_second_tenant_cannot_register_an_extension_another_trunk_registers(
        control_plane, pbx, edge_factory):
    first = trunk_of(control_plane, "tenant-first", pbx, pbx.host)
    edge = edge_factory(workers=2)
    wait_for(lambda: status(control_plane, first).state == "registered", 15, "the first trunk")
    contact = pbx.wait_for_contact("1000")

    second = trunk_of(control_plane, "tenant-second", pbx, pbx.host)
    failed = wait_for(lambda: (s := status(control_plane, second)).state == "failed" and s, 15,
                      "the second trunk to read Failed")
    assert failed.error.startswith("Another account already registers extension 1000 on this "
                                   "PBX")
    assert "tenant-first" not in failed.error and first.trunk_id not in failed.error
    assert status(control_plane, first).state == "registered"
    assert pbx.contacts("1000") == contact  # the first registration was never replaced
    registering = [line for line in edge.log_text().splitlines()
                   if '"message":"registering"' in line]
    assert all(second.trunk_id not in line for line in registering)

    svc.delete_trunk(DeleteTrunk(tenant_id=first.tenant_id, trunk_id=first.trunk_id),
                     trunks=control_plane.trunks, numbers=control_plane.numbers,
                     directory=control_plane.directory, secrets=control_plane.secrets)
    wait_for(lambda: status(control_plane, second).state == "registered", 45,
             "the second trunk to register once the extension is free")
