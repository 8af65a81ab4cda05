"""The edge registers on a registrar that is not our Kamailio config: a sipp scenario written
from RFC 3261/2617 alone (tests/support/sipp/registrar.xml), challenging with qop=auth."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devstack.pbx import free_port
from smartalex.domain.commands import CreateTrunk
from smartalex.domain.registration import AUTH_MESSAGE
from smartalex.service_layer import trunks as svc

from .conftest import wait_for

pytestmark = pytest.mark.sip
SCENARIO = Path(__file__).resolve().parents[2] / "support" / "sipp" / "registrar.xml"


@pytest.fixture
def registrar(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-m", "1",
         "-set", "user", "1000", "-set", "pass", "right-password", "-nostdin", "-trace_err",
         "-error_file", str(tmp_path / "sipp-errors.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    yield port
    proc.terminate()
    proc.wait(10)


@pytest.mark.parametrize("password,state,code", [("right-password", "registered", 200),
                                                 ("wrong-password", "failed", 401)])
def test_another_registrars_answer_is_what_the_admin_reads(control_plane, edge_factory, registrar,
                                                           password, state, code):
    """Its 200, or its 401 to a wrong password, is shown (within the poll's few seconds, not
    after SIP's 32 s timer F: the deadline below is a bound, not a measurement)."""
    edge_factory(workers=1)  # warm: the claim happens on the edge's next poll
    trunk = svc.create_trunk(CreateTrunk(
        tenant_id="acme", pbx_type="other", domain="127.0.0.1", port=registrar,
        extension="1000", password=password), trunks=control_plane.trunks,
        secrets=control_plane.secrets)
    status = wait_for(lambda: (s := control_plane.trunks.get("acme", trunk.trunk_id)
                               .registration).state == state and s, 15, state)
    assert status.sip_code == code
    if state == "registered":
        assert status.label("1000") == "Registered as ext 1000"
    else:
        assert status.error == AUTH_MESSAGE
