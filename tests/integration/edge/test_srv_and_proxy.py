"""How the edge finds the PBX: SRV records when the trunk gives no port (RFC 3263), and an
outbound proxy that every request goes through. Names come from the suite's own DNS server on
loopback (devstack/dns.py)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from devstack.dns import LoopbackDns
from smartalex.domain.agent_commands import CreateAgent, LinkAgent
from smartalex.domain.commands import CreateTrunk
from smartalex.service_layer import agents as agent_cases
from smartalex.service_layer import trunks as trunk_cases

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


class SilentTarget:
    """A UDP port on loopback that takes every packet and answers none: a PBX server that is
    down behind a firewall that drops, rather than refuses, what reaches it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._swallow, daemon=True)

    def __enter__(self) -> "SilentTarget":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def _swallow(self) -> None:
        while not self._stop.is_set():
            try:
                self.received.append(self.sock.recv(65535))
            except socket.timeout:
                continue


def test_when_the_best_srv_target_does_not_answer_the_next_one_is_registered_with(
        control_plane, pbx, edge_factory):
    """RFC 3263 4.3: the best target (priority 10) swallows every REGISTER; the edge moves to
    the next (priority 20) after a few seconds, not after SIP's 32 s timer F, and the trunk
    never shows the "no answer" hint on the way."""
    with SilentTarget() as silent, LoopbackDns(
            records={"down.pbx.test": "127.0.0.1", "up.pbx.test": "127.0.0.1"},
            srv={"_sip._udp.pbx.test": [("down.pbx.test", silent.port, 10, 50),
                                        ("up.pbx.test", pbx.port, 20, 50)]}) as dns:
        trunk = trunk_cases.create_trunk(CreateTrunk(
            tenant_id=TENANT, pbx_type="asterisk", domain="pbx.test", extension="1000",
            password="secret"), trunks=control_plane.trunks, secrets=control_plane.secrets)
        edge = edge_factory(workers=1, SMARTALEX_EDGE_NAMESERVERS=dns.address)
        seen = []

        def registered_now():
            status = control_plane.trunks.get(TENANT, trunk.trunk_id).registration
            seen.append(status.error)
            return status.state == "registered"

        wait_for(registered_now, 20, "the trunk to register with the second SRV target")
        assert [m for m in silent.received if m.startswith(b"REGISTER ")]  # tried first
        assert pbx.contacts("1000")
        assert not [e for e in seen if e and e.startswith("No answer")]
        assert "trying the next" in edge.log_text()


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
