"""One worker process holds many trunks, and every call reaches its own trunk's agent: even
extension 1000 of two different PBXs, registered through the same SIP port. A crash of that
worker registers all of its trunks again in the replacement.

The PBXs are known by name (a loopback DNS server answers for them) while their calls carry
the PBX's address in To, as many PBXs' do: pjsua's own choice of account (the To domain, then
the user) cannot tell the two extensions 1000 apart, the trunk's contact token can."""

from __future__ import annotations

import json
import os
import signal

import pytest

from devstack.dns import LoopbackDns
from devstack.pbx import KamailioPBX
from smartalex.domain.agent_commands import CreateAgent, LinkAgent
from smartalex.domain.commands import CreateTrunk
from smartalex.service_layer import agents as agent_cases
from smartalex.service_layer import trunks as trunk_cases

from .agents import ScriptedAgent
from .conftest import wait_for

pytestmark = pytest.mark.sip
TENANT = "acme"
USERS = {"1000": "secret", "301": "pw301", "300": "pw300"}


NAMES = {"127.0.0.1": "pbx-a.office.test", "127.0.0.6": "pbx-b.office.test"}


@pytest.fixture
def two_pbxs(tmp_path):
    """Two offices' PBXs on two loopback addresses, each with its own extension 1000, and the
    DNS server that knows their names."""
    with KamailioPBX(tmp_path / "pbx-a", users=USERS) as a, \
            KamailioPBX(tmp_path / "pbx-b", users=USERS, host="127.0.0.6") as b, \
            LoopbackDns(records={name: ip for ip, name in NAMES.items()}) as dns:
        yield a, b, dns


def trunk_with_agent(control_plane, pbx, extension: str, password: str):
    s = control_plane
    trunk = trunk_cases.create_trunk(CreateTrunk(
        tenant_id=TENANT, pbx_type="other", domain=NAMES[pbx.host], port=pbx.port,
        extension=extension, password=password), trunks=s.trunks, secrets=s.secrets)
    agent = ScriptedAgent(audio_frames=5).start()
    linked = agent_cases.create_agent(CreateAgent(
        tenant_id=TENANT, name=f"Agent {pbx.host} {extension}", kind="media_stream",
        stream_url=agent.url), agents=s.agents)
    agent_cases.link_agent(LinkAgent(tenant_id=TENANT, agent_id=linked.agent_id,
                                     trunk_id=trunk.trunk_id), agents=s.agents, trunks=s.trunks)
    return trunk, agent


def statuses(control_plane, trunks):
    return [control_plane.trunks.get(TENANT, t.trunk_id).registration for t in trunks]


def test_one_worker_serves_many_trunks_and_each_call_reaches_its_own_agent(
        control_plane, two_pbxs, edge_factory, phone_factory):
    a, b, dns = two_pbxs
    lines = [(a, "1000", "secret"), (b, "1000", "secret"), (a, "301", "pw301")]
    made = [trunk_with_agent(control_plane, pbx, ext, pw) for pbx, ext, pw in lines]
    trunks = [t for t, _ in made]
    try:
        edge = edge_factory(workers=1, SMARTALEX_EDGE_NAMESERVERS=dns.address)
        wait_for(lambda: all(s.state == "registered" for s in statuses(control_plane, trunks)),
                 20, "all three trunks registered")
        (worker,) = json.loads(edge.health_file.read_text())["workers"]
        assert sorted(worker["trunks"]) == sorted(t.trunk_id for t in trunks)
        tokens = {c.split("sa-trunk=")[1].split(";")[0].split(">")[0]
                  for pbx, ext, _ in lines for c in pbx.wait_for_contact(ext)}
        assert len(tokens) == 3, "each trunk's contact names it"

        for (pbx, ext, _), (trunk, agent) in zip(lines, made):
            phone = phone_factory(pbx, "300", "pw300", "udp")
            phone.wait_for("registered", 10)
            phone.send("call", uri=f"sip:{ext}@{pbx.host}:{pbx.port}")
            phone.wait_for("answered", 10)
            start = agent.messages_until("start", timeout=15)[-1]
            assert start["start"]["customParameters"]["trunk_id"] == trunk.trunk_id
            assert start["start"]["customParameters"]["extension"] == ext
            phone.send("hangup")
            phone.wait_for("disconnected", 10)
            phone.stop()
        assert [agent.connections for _, agent in made] == [1, 1, 1]

        before = [s.since for s in statuses(control_plane, trunks)]
        os.kill(worker["pid"], signal.SIGKILL)
        wait_for(lambda: all(s.state == "registered" and s.since > since for s, since
                             in zip(statuses(control_plane, trunks), before)),
                 25, "every trunk of the killed worker registered again")
        (replacement,) = json.loads(edge.health_file.read_text())["workers"]
        assert replacement["pid"] != worker["pid"]
        assert sorted(replacement["trunks"]) == sorted(t.trunk_id for t in trunks)
        for pbx, ext, _ in lines:
            assert len(pbx.wait_for_contact(ext)) == 1
    finally:
        for _, agent in made:
            agent.stop()


def test_an_edge_holds_only_as_many_trunks_as_its_workers_have_room_for(
        control_plane, pbx, edge_factory):
    trunks = [trunk_cases.create_trunk(CreateTrunk(
        tenant_id=TENANT, pbx_type="other", domain=pbx.host, port=pbx.port, extension=ext,
        password=pw), trunks=control_plane.trunks, secrets=control_plane.secrets)
        for ext, pw in (("1000", "secret"), ("300", "pw300"), ("301", "pw301"))]
    edge = edge_factory(workers=1, SMARTALEX_EDGE_TRUNKS_PER_WORKER="2")
    wait_for(lambda: sum(s.state == "registered" for s in statuses(control_plane, trunks)) == 2,
             20, "two trunks registered")
    (worker,) = json.loads(edge.health_file.read_text())["workers"]
    assert len(worker["trunks"]) == 2
    waiting = [t for t in trunks if t.trunk_id not in worker["trunks"]]
    assert control_plane.trunks.get(TENANT, waiting[0].trunk_id).lease is None
