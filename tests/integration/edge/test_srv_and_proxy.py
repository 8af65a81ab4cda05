"""How the edge finds the PBX: SRV records when the trunk gives no port (RFC 3263), and an
outbound proxy that every request goes through. Names come from the suite's own DNS server on
loopback (tests/support/dns.py)."""

from __future__ import annotations

import time

import pytest

from smartalex.domain.agent_commands import CreateAgent, LinkAgent
from smartalex.domain.commands import CreateTrunk
from smartalex.service_layer import agents as agent_cases
from smartalex.service_layer import trunks as trunk_cases
from tests.support.dns import LoopbackDns

from .agents import ScriptedAgent
from .conftest import wait_for

pytestmark = pytest.mark.sip
TENANT = "acme"


def registered(control_plane, trunk, timeout=15):
    return wait_for(lambda: (s := control_plane.trunks.get(TENANT, trunk.trunk_id)
                             .registration).state == "registered" and s, timeout,
                    "the trunk to register")


def test_a_trunk_without_a_port_finds_its_registrar_through_srv(control_plane, pbx,
                                                                edge_factory):
    srv = {"_sip._udp.pbx.test": [("sip1.pbx.test", pbx.port, 10, 10),
                                  ("sip2.pbx.test", 9, 20, 10)]}  # a worse one: never tried
    with LoopbackDns(records={"sip1.pbx.test": "127.0.0.1", "sip2.pbx.test": "127.0.0.1"},
                     srv=srv) as dns:
        trunk = trunk_cases.create_trunk(CreateTrunk(
            tenant_id=TENANT, pbx_type="asterisk", domain="pbx.test", extension="1000",
            password="secret"), trunks=control_plane.trunks, secrets=control_plane.secrets)
        assert (trunk.account.port, trunk.account.explicit_port) == (5060, False)
        edge_factory(workers=1, SMARTALEX_EDGE_NAMESERVERS=dns.address)
        registered(control_plane, trunk)
        assert pbx.contacts("1000")
        assert "_sip._udp.pbx.test" in dns.queries and "sip1.pbx.test" in dns.queries
        assert "pbx.test" not in dns.queries  # the SRV record answered: no A of the domain


def test_an_outbound_proxy_carries_every_request_and_its_calls_reach_the_ai(
        control_plane, pbx, edge_factory, phone_factory):
    """The trunk's domain is a hosted PBX's name no DNS server here knows; only its proxy (the
    suite's Kamailio) is reachable: registering, keeping watch and the calls all go that way."""
    agent = ScriptedAgent().start()
    try:
        with LoopbackDns() as dns:
            trunk = trunk_cases.create_trunk(CreateTrunk(
                tenant_id=TENANT, pbx_type="other", domain="tenant-a.hosted-pbx.test",
                extension="1000", password="secret",
                outbound_proxy=f"127.0.0.1:{pbx.port}"),
                trunks=control_plane.trunks, secrets=control_plane.secrets)
            linked = agent_cases.create_agent(CreateAgent(
                tenant_id=TENANT, name="Scripted", kind="media_stream", stream_url=agent.url),
                agents=control_plane.agents)
            agent_cases.link_agent(LinkAgent(tenant_id=TENANT, agent_id=linked.agent_id,
                                             trunk_id=trunk.trunk_id),
                                   agents=control_plane.agents, trunks=control_plane.trunks)
            edge = edge_factory(workers=1, SMARTALEX_EDGE_NAMESERVERS=dns.address,
                                SMARTALEX_EDGE_KEEPALIVE_SECONDS="2",
                                SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS="2")
            registered(control_plane, trunk)
            assert [c for c in pbx.contacts("1000") if "sa-trunk=" in c]
            assert dns.queries == []  # the domain was never looked up

            phone = phone_factory(pbx, "300", "pw300", "udp")
            phone.wait_for("registered", 10)
            phone.send("call", uri=f"sip:1000@{pbx.host}:{pbx.port}")
            phone.wait_for("answered", 10)
            agent.messages_until("start")
            # Keepalives and bindings checks (every 2 s here) go through the proxy too, and
            # find the registration where it should be.
            until = time.monotonic() + 6
            while time.monotonic() < until:
                assert control_plane.trunks.get(TENANT, trunk.trunk_id).registration.state \
                    == "registered"
                time.sleep(0.5)
            assert "standing down" not in edge.log_text()
    finally:
        agent.stop()
