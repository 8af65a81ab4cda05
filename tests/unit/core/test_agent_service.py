"""Agent use cases with in-memory ports: what an agent is, which fields fit its kind, and the
one-agent-per-trunk link."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from smartalex.domain.agent import DEFAULT_GREETING, AgentKind
from smartalex.domain.agent_commands import (
    CreateAgent,
    DeleteAgent,
    LinkAgent,
    UnlinkAgent,
    UpdateAgent,
)
from smartalex.domain.errors import InvalidInput, NotFound
from smartalex.service_layer.agents import (
    create_agent,
    delete_agent,
    link_agent,
    unlink_agent,
    update_agent,
)

from .fakes import (
    FakeAgentRepository,
    FakeClock,
    FakePhoneNumberRepository,
    FakeTrunkRepository,
    a_trunk,
)

TENANT = "tenant-a"
URL = "wss://agent.example.com/stream"


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    repo = FakeTrunkRepository()
    repo.add(a_trunk("trk_x", extension="1000"))
    repo.add(a_trunk("trk_y", extension="1001"))
    repo.add(a_trunk("trk_b", "tenant-b", extension="1002"))
    return repo


@pytest.fixture
def agents(trunks) -> FakeAgentRepository:
    return FakeAgentRepository(trunks)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def create(agents, clock, tenant=TENANT, **fields):
    values = {"name": "Front desk", "kind": "receptionist", **fields}
    return create_agent(CreateAgent(tenant_id=tenant, **values), agents=agents, clock=clock)


def update(agents, clock, agent, **fields):
    return update_agent(UpdateAgent(tenant_id=agent.tenant_id, agent_id=agent.agent_id,
                                    **fields), agents=agents, clock=clock)


def link(agents, trunks, agent, trunk_id, tenant=TENANT):
    return link_agent(LinkAgent(tenant_id=tenant, agent_id=agent.agent_id, trunk_id=trunk_id),
                      agents=agents, trunks=trunks)


def linked(agents, trunks):
    """{agent id: trunk id} and {trunk id: agent id}, as stored on each side."""
    return ({a.agent_id: a.trunk_id for a in agents.agents.values()},
            {t.trunk_id: t.agent_id for t in trunks.trunks.values()})


# --- create and change

def test_a_new_agent_gets_an_id_and_is_not_linked(agents, clock):
    agent = create(agents, clock, name="  Sales  ", kind="media_stream", stream_url=URL)

    assert agent.agent_id.startswith("agt_") and len(agent.agent_id) == 24
    assert (agent.name, agent.kind, agent.stream_url) == ("Sales", AgentKind.MEDIA_STREAM, URL)
    assert agent.trunk_id is None and agent.created_at == agent.updated_at
    assert agents.find(agent.agent_id) == agent


def test_a_receptionist_without_a_greeting_says_the_default(agents, clock):
    plain = create(agents, clock)
    blank = create(agents, clock, greeting="   ")
    custom = create(agents, clock, greeting=" Acme, hello! ")

    assert plain.greeting is None and plain.spoken_greeting == DEFAULT_GREETING
    assert blank.greeting is None
    assert custom.spoken_greeting == "Acme, hello!"


def test_a_media_stream_agent_has_no_greeting_to_speak(agents, clock):
    agent = create(agents, clock, kind="media_stream", stream_url=URL)

    assert agent.spoken_greeting is None


def test_an_update_changes_only_what_was_sent(agents, clock):
    agent = create(agents, clock, greeting="Hi")

    after = update(agents, clock, agent, name="Reception")

    assert (after.name, after.greeting, after.kind) == ("Reception", "Hi", agent.kind)
    assert after.updated_at > agent.updated_at
    assert agents.find(agent.agent_id) == after


def test_an_update_that_changes_nothing_writes_nothing(agents, clock):
    agent = create(agents, clock, greeting="Hi")

    after = update(agents, clock, agent, greeting="Hi")

    assert after == agent == agents.find(agent.agent_id)


def test_turning_a_receptionist_into_a_media_stream_agent_drops_its_greeting(agents, clock):
    agent = create(agents, clock, greeting="Hi")

    after = update(agents, clock, agent, kind="media_stream", stream_url=URL)

    assert (after.kind, after.stream_url, after.greeting) == (AgentKind.MEDIA_STREAM, URL, None)


def test_turning_a_media_stream_agent_into_a_receptionist_drops_its_url(agents, clock):
    agent = create(agents, clock, kind="media_stream", stream_url=URL)

    after = update(agents, clock, agent, kind="receptionist")

    assert (after.kind, after.stream_url, after.greeting) == (AgentKind.RECEPTIONIST, None, None)


@pytest.mark.parametrize("start, fields, field", [
    ("receptionist", {"kind": "media_stream"}, "stream_url"),
    ("receptionist", {"stream_url": URL}, "stream_url"),
    ("media_stream", {"greeting": "Hi"}, "greeting"),
    ("media_stream", {"kind": "receptionist", "stream_url": URL}, "stream_url"),
], ids=["to media_stream without a url", "url on a receptionist", "greeting on media_stream",
        "to receptionist with a url"])
def test_fields_that_do_not_fit_the_kind_are_rejected_and_nothing_changes(
        agents, clock, start, fields, field):
    agent = create(agents, clock, kind=start, stream_url=URL if start == "media_stream" else None)

    with pytest.raises(InvalidInput) as caught:
        update(agents, clock, agent, **fields)

    assert caught.value.field == field
    assert agents.find(agent.agent_id) == agent


def test_another_tenants_agent_is_not_found(agents, clock):
    agent = create(agents, clock, tenant="tenant-b")

    with pytest.raises(NotFound):
        update_agent(UpdateAgent(tenant_id=TENANT, agent_id=agent.agent_id, name="mine"),
                     agents=agents, clock=clock)
    with pytest.raises(NotFound):
        delete_agent(DeleteAgent(tenant_id=TENANT, agent_id=agent.agent_id), agents=agents,
                     numbers=FakePhoneNumberRepository())
    assert agents.find(agent.agent_id) == agent


# --- the link

def test_linking_sets_both_sides(agents, trunks, clock):
    agent = create(agents, clock)

    after = link(agents, trunks, agent, "trk_x")

    assert after.trunk_id == "trk_x"
    assert linked(agents, trunks) == ({agent.agent_id: "trk_x"},
                                      {"trk_x": agent.agent_id, "trk_y": None, "trk_b": None})


def test_a_trunk_keeps_only_its_newest_agent(agents, trunks, clock):
    first, second = create(agents, clock), create(agents, clock)
    link(agents, trunks, first, "trk_x")

    link(agents, trunks, second, "trk_x")

    by_agent, by_trunk = linked(agents, trunks)
    assert by_agent == {first.agent_id: None, second.agent_id: "trk_x"}
    assert by_trunk["trk_x"] == second.agent_id


def test_an_agent_answers_only_its_newest_trunk(agents, trunks, clock):
    agent = create(agents, clock)
    link(agents, trunks, agent, "trk_x")

    link(agents, trunks, agent, "trk_y")

    assert linked(agents, trunks) == ({agent.agent_id: "trk_y"},
                                      {"trk_x": None, "trk_y": agent.agent_id, "trk_b": None})


def test_unlinking_clears_both_sides(agents, trunks, clock):
    agent = create(agents, clock)
    link(agents, trunks, agent, "trk_x")

    after = unlink_agent(UnlinkAgent(tenant_id=TENANT, agent_id=agent.agent_id), agents=agents)

    assert after.trunk_id is None
    assert linked(agents, trunks)[1]["trk_x"] is None


def test_unlinking_an_agent_that_is_not_linked_is_not_found(agents, clock):
    agent = create(agents, clock)

    with pytest.raises(NotFound, match="not linked"):
        unlink_agent(UnlinkAgent(tenant_id=TENANT, agent_id=agent.agent_id), agents=agents)


def test_deleting_an_agent_unlinks_its_trunk(agents, trunks, clock):
    agent = create(agents, clock)
    link(agents, trunks, agent, "trk_x")

    delete_agent(DeleteAgent(tenant_id=TENANT, agent_id=agent.agent_id), agents=agents,
                     numbers=FakePhoneNumberRepository())

    assert agents.find(agent.agent_id) is None
    assert trunks.find("trk_x").agent_id is None


def test_an_agent_cannot_be_linked_to_another_tenants_trunk(agents, trunks, clock):
    agent = create(agents, clock)

    with pytest.raises(NotFound, match="trk_b"):
        link(agents, trunks, agent, "trk_b")

    assert trunks.find("trk_b").agent_id is None and agents.find(agent.agent_id).trunk_id is None


def test_another_tenants_agent_cannot_be_linked(agents, trunks, clock):
    theirs = create(agents, clock, tenant="tenant-b")

    with pytest.raises(NotFound, match=theirs.agent_id):
        link(agents, trunks, theirs, "trk_b", tenant=TENANT)

    assert trunks.find("trk_b").agent_id is None


# --- commands

@pytest.mark.parametrize("url", ["wss://agent.example.com/stream", "ws://127.0.0.1:8080/",
                                 "wss://[::1]:9000/media?token=abc", "WSS://Agent.Example.com"])
def test_websocket_urls_with_a_host_are_accepted(url):
    assert CreateAgent(tenant_id=TENANT, name="a", kind="media_stream", stream_url=url)


@pytest.mark.parametrize("url", ["https://agent.example.com", "wss://", "wss:///path",
                                 "ws://bad_host/", "wss://a.example.com:70000/",
                                 "wss://a.example.com/" + "x" * 2048])
def test_other_urls_are_rejected_on_the_stream_url_field(url):
    with pytest.raises(ValidationError) as caught:
        CreateAgent(tenant_id=TENANT, name="a", kind="media_stream", stream_url=url)

    assert caught.value.errors()[0]["loc"] == ("stream_url",)


def test_a_link_names_a_well_formed_trunk_id():
    with pytest.raises(ValidationError) as caught:
        LinkAgent(tenant_id=TENANT, agent_id="agt_1", trunk_id="../../etc")

    assert caught.value.errors()[0]["loc"] == ("trunk_id",)


# --- what the linked trunk's edge is told

def test_changing_a_linked_agent_tells_its_trunks_edge(agents, trunks, clock):
    agent = create(agents, clock, kind="media_stream", stream_url=URL)
    link(agents, trunks, agent, "trk_x")
    before = trunks.trunks["trk_x"].agent_version
    update(agents, clock, agents.agents[agent.agent_id], stream_url=URL + "/v2")
    assert trunks.trunks["trk_x"].agent_version == before + 1
    assert trunks.trunks["trk_y"].agent_version == 0


def test_rotating_a_linked_agents_secret_tells_its_trunks_edge(agents, trunks, clock):
    from smartalex.service_layer.agents import rotate_signing_secret

    stored = {}
    secrets = type("Secrets", (), {"put": lambda self, agent_id, s: stored.update({agent_id: s})})()
    agent = create(agents, clock, kind="media_stream", stream_url=URL)
    link(agents, trunks, agent, "trk_x")
    before = trunks.trunks["trk_x"].agent_version
    secret = rotate_signing_secret(TENANT, agent.agent_id, agents=agents, agent_secrets=secrets,
                                   clock=clock)
    assert stored == {agent.agent_id: secret.get_secret_value()}
    assert trunks.trunks["trk_x"].agent_version == before + 1
