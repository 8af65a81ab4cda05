"""The office the call tests run in: a PBX with a few extensions, the AI's trunk on it with a
directory, and helpers to link agents and read what calls left behind."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from devstack.pbx import KamailioPBX
from smartalex.domain.agent_commands import CreateAgent, LinkAgent
from smartalex.domain.commands import CreateTrunk, UpdateTrunk
from smartalex.domain.directory_commands import CreateDirectoryEntry
from smartalex.service_layer import agents as agent_cases
from smartalex.service_layer import diagnostics as diagnostics_cases
from smartalex.service_layer import directory as directory_cases
from smartalex.service_layer import trunks as trunk_cases

from .conftest import wait_for

TENANT = "acme"
USERS = {"1000": "secret", "215": "pw215", "300": "pw300", "100": "pw100"}
DIRECTORY = [("100", "Reception", ["front desk", "operator"]),
             ("215", "Sarah Murphy", ["Sarah", "accounts", "billing"]),
             ("299", "Old Fax", ["fax"])]  # listed, but no such extension on the PBX
# The office's public number: the PBX's inbound route sends it to the AI's extension.
DID = "+353871234567"


def make_office(control_plane, tmp_path, **pbx_options):
    """A PBX, the AI's trunk on it with a directory, and helpers to link agents."""
    with KamailioPBX(tmp_path / "pbx", users=USERS, dids={DID: "1000"}, **pbx_options) as pbx:
        s = control_plane
        trunk = trunk_cases.create_trunk(CreateTrunk(
            tenant_id=TENANT, pbx_type="asterisk", domain=pbx.host, port=pbx.port,
            extension="1000", password="secret"), trunks=s.trunks, secrets=s.secrets)
        for ext, name, aliases in DIRECTORY:
            directory_cases.add_entry(CreateDirectoryEntry(
                tenant_id=TENANT, trunk_id=trunk.trunk_id, extension=ext, display_name=name,
                aliases=aliases), trunks=s.trunks, directory=s.directory)

        def link(**agent_fields):
            agent = agent_cases.create_agent(CreateAgent(tenant_id=TENANT, **agent_fields),
                                             agents=s.agents)
            agent_cases.link_agent(LinkAgent(tenant_id=TENANT, agent_id=agent.agent_id,
                                             trunk_id=trunk.trunk_id),
                                   agents=s.agents, trunks=s.trunks)
            return agent

        yield pbx, trunk, link


def answer_delay(control_plane, trunk, seconds: int):
    """PATCH the trunk's answer_delay_seconds, as the admin would."""
    s = control_plane
    return trunk_cases.update_trunk(UpdateTrunk(tenant_id=TENANT, trunk_id=trunk.trunk_id,
                                                answer_delay_seconds=seconds),
                                    trunks=s.trunks, secrets=s.secrets)


def registered(control_plane, trunk):
    wait_for(lambda: control_plane.trunks.get(TENANT, trunk.trunk_id).registration.state
             == "registered", 15, "the AI extension to register")


def diagnostics(control_plane, trunk):
    """The trunk's Diagnostics, as the admin reads them (GET /v1/trunks/{id}/diagnostics)."""
    s = control_plane
    return diagnostics_cases.trunk_diagnostics(TENANT, trunk.trunk_id, trunks=s.trunks,
                                               calls=s.calls, errors=s.errors)


def last_call(control_plane, trunk, count=1):
    """The newest call in the trunk's Diagnostics, once it lists `count` calls."""
    return wait_for(lambda: len(calls := diagnostics(control_plane, trunk).calls) >= count
                    and calls, 15, "the call record")[0].record


def errors(control_plane, trunk):
    return control_plane.errors.recent(trunk.trunk_id,
                                       datetime.now(timezone.utc) - timedelta(hours=1), 10)


def routes_to(edge, agent) -> None:
    """Wait until the edge's worker routes the trunk's calls to `agent`: the supervisor's
    "changed" line comes before the worker has read the change, so a call right then races it."""
    def applied() -> bool:
        return any(('"message":"call routing applied' in line or '"message":"registering"' in line)
                   and f'"agent_id":"{agent.agent_id}"' in line
                   for line in edge.log_text().splitlines())
    wait_for(applied, 10, f"the edge's worker to route calls to {agent.name}")


def dial_the_ai(phone, pbx) -> None:
    """The phone calls the AI's extension through the PBX."""
    phone.send("call", uri=f"sip:1000@{pbx.host}:{pbx.port}")


def caller(phone_factory, pbx):
    phone = phone_factory(pbx, "300", "pw300", "udp", "--name", "Caller Phone")
    phone.wait_for("registered", 10)
    return phone
