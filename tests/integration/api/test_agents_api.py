"""Agents over HTTP, stored in DynamoDB on the moto server: their lifecycle, the validation of
every field, the one-agent-per-trunk link kept on both items, and tenant isolation."""

from __future__ import annotations

import pytest

from smartalex.domain.agent import DEFAULT_GREETING

from .conftest import ISO_Z, MARK, assert_rejected

REPRESENTATION_KEYS = {"id", "name", "kind", "stream_url", "greeting", "trunk_id", "created_at",
                       "updated_at"}
URL = "wss://agent.example.com/stream"


def media(**changes):
    body = {"name": "Sales bot", "kind": "media_stream", "stream_url": URL, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def receptionist(**changes):
    body = {"name": "Front desk", "kind": "receptionist", **changes}
    return {k: v for k, v in body.items() if v is not ...}


def create_agent(who, body=None):
    """The agent as GET shows it: the create answer without its one-time signing secret
    (test_signing_secret_api.py)."""
    reply = who.post("/v1/agents", body or receptionist())
    assert reply.status == 201, reply.json
    return {k: v for k, v in reply.json.items() if k != "signing_secret"}


def link(who, agent, trunk):
    return who.put(f"/v1/agents/{agent['id']}/telephony", {"trunk_id": trunk["id"]})


def agent_of(who, trunk):
    return who.get(f"/v1/trunks/{trunk['id']}").json["agent_id"]


def trunk_of(who, agent):
    return who.get(f"/v1/agents/{agent['id']}").json["trunk_id"]


class Links:
    """The link as stored on both sides, read straight from the tables."""

    def __init__(self, storage):
        from smartalex.adapters import names

        self.storage, self.names = storage, names

    def agents(self) -> dict[str, str | None]:
        return {i["agent_id"]["S"]: i.get("trunk_id", {}).get("S")
                for i in self.storage.items(self.names.agents_table())}

    def trunks(self) -> dict[str, str | None]:
        return {i["trunk_id"]["S"]: i.get("agent_id", {}).get("S")
                for i in self.storage.items(self.names.trunks_table())}

    def assert_consistent(self) -> None:
        agents, trunks = self.agents(), self.trunks()
        for agent_id, trunk_id in agents.items():
            if trunk_id is not None and trunk_id in trunks:
                assert trunks[trunk_id] == agent_id, (agent_id, trunk_id, trunks[trunk_id])
        for trunk_id, agent_id in trunks.items():
            if agent_id is not None:
                assert agents.get(agent_id) == trunk_id, (trunk_id, agent_id)


@pytest.fixture
def links(storage) -> Links:
    return Links(storage)


# --- lifecycle

def test_create_a_media_stream_agent_answers_201_with_the_agent(alice, links):
    reply = alice.post("/v1/agents", media(name="  Sales bot  "))

    assert reply.status == 201
    agent = reply.json
    assert set(agent) == REPRESENTATION_KEYS | {"signing_secret"}
    assert agent["id"].startswith("agt_")
    assert (agent["name"], agent["kind"], agent["stream_url"]) == ("Sales bot", "media_stream", URL)
    assert agent["greeting"] is None and agent["trunk_id"] is None
    assert ISO_Z.match(agent["created_at"]) and agent["updated_at"] == agent["created_at"]
    assert links.agents()[agent["id"]] is None


def test_a_receptionist_greets_with_the_default_unless_given_a_greeting(alice):
    default = create_agent(alice, receptionist())
    custom = create_agent(alice, receptionist(greeting="Acme, good morning!"))

    assert default["greeting"] == DEFAULT_GREETING
    assert custom["greeting"] == "Acme, good morning!"
    assert default["stream_url"] is None


def test_list_returns_the_tenants_agents_oldest_first(alice, bob):
    first = create_agent(alice, media())
    second = create_agent(alice, receptionist())
    theirs = create_agent(bob)

    assert alice.get("/v1/agents").json == {"agents": [first, second]}
    assert bob.get("/v1/agents").json == {"agents": [theirs]}


def test_get_returns_the_agent(alice):
    agent = create_agent(alice, media())

    reply = alice.get(f"/v1/agents/{agent['id']}")

    assert (reply.status, reply.json) == (200, agent)


def test_patch_changes_only_the_fields_sent(alice):
    agent = create_agent(alice, media())

    reply = alice.patch(f"/v1/agents/{agent['id']}", {"name": "Renamed"})

    assert reply.status == 200
    assert reply.json == {**agent, "name": "Renamed", "updated_at": reply.json["updated_at"]}
    assert reply.json["updated_at"] >= agent["updated_at"]
    assert alice.get(f"/v1/agents/{agent['id']}").json == reply.json


def test_a_null_greeting_goes_back_to_the_default(alice):
    agent = create_agent(alice, receptionist(greeting="Hi there"))

    reply = alice.patch(f"/v1/agents/{agent['id']}", {"greeting": None})

    assert reply.json["greeting"] == DEFAULT_GREETING


def test_changing_the_kind_to_media_stream_needs_a_url_and_drops_the_greeting(alice):
    agent = create_agent(alice, receptionist(greeting="Hi there"))
    path = f"/v1/agents/{agent['id']}"

    missing = alice.patch(path, {"kind": "media_stream"})
    changed = alice.patch(path, {"kind": "media_stream", "stream_url": URL})

    assert (missing.status, missing.error["field"]) == (400, "stream_url")
    assert changed.status == 200
    assert (changed.json["kind"], changed.json["stream_url"], changed.json["greeting"]) == (
        "media_stream", URL, None)


def test_changing_the_kind_to_receptionist_drops_the_url(alice):
    agent = create_agent(alice, media())

    reply = alice.patch(f"/v1/agents/{agent['id']}", {"kind": "receptionist"})

    assert (reply.json["kind"], reply.json["stream_url"]) == ("receptionist", None)
    assert reply.json["greeting"] == DEFAULT_GREETING


def test_delete_answers_204_and_the_agent_is_gone(alice):
    agent = create_agent(alice)

    reply = alice.delete(f"/v1/agents/{agent['id']}")

    assert (reply.status, reply.body) == (204, b"")
    assert alice.get(f"/v1/agents/{agent['id']}").status == 404
    assert alice.delete(f"/v1/agents/{agent['id']}").status == 404


# --- validation: every field, named, and nothing written

CREATE_CASES = [
    ("missing name", media(name=...), "name", "name is required"),
    ("empty name", media(name="   "), "name", "name is required"),
    ("name too long", media(name=MARK * 17), "name", "name must be at most 64 characters"),
    ("name with a line break", media(name=f"{MARK}\nbot"), "name",
     "name must not contain control characters"),
    ("name not a string", media(name=42), "name", "name must be a valid string"),
    ("missing kind", media(kind=...), "kind", "kind is required"),
    ("unknown kind", media(kind=MARK), "kind", "kind must be 'media_stream' or 'receptionist'"),
    ("media_stream without stream_url", media(stream_url=...), "stream_url",
     "stream_url is required for a media_stream agent"),
    ("media_stream with a null stream_url", media(stream_url=None), "stream_url",
     "stream_url is required for a media_stream agent"),
    ("empty stream_url", media(stream_url=""), "stream_url", "stream_url is required"),
    ("http stream_url", media(stream_url=f"https://{MARK}.example.com/s"), "stream_url",
     "stream_url must be a WebSocket URL starting with ws:// or wss://"),
    ("stream_url without a scheme", media(stream_url=f"{MARK}.example.com/s"), "stream_url",
     "stream_url must be a WebSocket URL"),
    ("stream_url without a host", media(stream_url=f"wss:///{MARK}"), "stream_url",
     "stream_url must name a valid host"),
    ("stream_url with a bad host", media(stream_url=f"wss://{MARK}_x!/s"), "stream_url",
     "stream_url must name a valid host"),
    ("stream_url with a bad port", media(stream_url=f"wss://{MARK}.example.com:99999/s"),
     "stream_url", "stream_url must name a valid host (and port"),
    ("stream_url with spaces", media(stream_url=f"wss://{MARK}.example.com/a b"), "stream_url",
     "stream_url must not contain spaces"),
    ("stream_url too long", media(stream_url="wss://a.example.com/" + MARK * 600), "stream_url",
     "stream_url must be at most 2048 characters"),
    ("stream_url not a string", media(stream_url=443), "stream_url",
     "stream_url must be a valid string"),
    ("stream_url for a receptionist", receptionist(stream_url=URL), "stream_url",
     "stream_url applies only to media_stream agents"),
    ("greeting too long", receptionist(greeting=MARK * 126), "greeting",
     "greeting must be at most 500 characters"),
    ("greeting with a control character", receptionist(greeting=f"{MARK}\x07"), "greeting",
     "greeting must not contain control characters"),
    ("greeting not a string", receptionist(greeting=["hi"]), "greeting",
     "greeting must be a valid string"),
    ("greeting for a media_stream agent", media(greeting=f"{MARK} hi"), "greeting",
     "greeting applies only to receptionist agents"),
    ("unknown field", media(colour=MARK), "colour", "colour is not a known field"),
    ("trunk_id on create", media(trunk_id="trk_1"), "trunk_id", "trunk_id is not a known field"),
    ("tenant_id in the body", media(tenant_id=MARK), "tenant_id",
     "tenant_id is not a known field; it is taken from your sign-in token"),
]


@pytest.fixture
def nothing_written(alice, storage):
    before = (storage.all_items(), alice.get("/v1/agents").json)
    yield
    assert (storage.all_items(), alice.get("/v1/agents").json) == before


@pytest.mark.parametrize("body, field, message", [c[1:] for c in CREATE_CASES],
                         ids=[c[0] for c in CREATE_CASES])
def test_create_rejects_invalid_fields_by_name_and_writes_nothing(
        alice, nothing_written, body, field, message):
    assert_rejected(alice.post("/v1/agents", body), field, message)


def test_create_rejects_a_body_that_is_not_a_json_object(alice, nothing_written):
    assert_rejected(alice.post("/v1/agents", raw=b"[1]"), None,
                    "The request body must be a JSON object")


PATCH_CASES = [
    ("null name", "media", {"name": None}, "name", "name cannot be null"),
    ("null kind", "media", {"kind": None}, "kind", "kind cannot be null"),
    ("null stream_url", "media", {"stream_url": None}, "stream_url", "stream_url cannot be null"),
    ("empty name", "media", {"name": ""}, "name", "name is required"),
    ("name too long", "media", {"name": MARK * 17}, "name", "name must be at most 64"),
    ("unknown kind", "media", {"kind": MARK}, "kind", "kind must be"),
    ("ftp stream_url", "media", {"stream_url": f"ftp://{MARK}.example.com"}, "stream_url",
     "stream_url must be a WebSocket URL"),
    ("greeting on a media_stream agent", "media", {"greeting": f"{MARK}"}, "greeting",
     "greeting applies only to receptionist agents"),
    ("stream_url on a receptionist", "receptionist", {"stream_url": URL}, "stream_url",
     "stream_url applies only to media_stream agents"),
    ("greeting too long", "receptionist", {"greeting": MARK * 126}, "greeting",
     "greeting must be at most 500 characters"),
    ("to media_stream without a url", "receptionist", {"kind": "media_stream"}, "stream_url",
     "stream_url is required for a media_stream agent"),
    ("to receptionist with a url", "media", {"kind": "receptionist", "stream_url": URL},
     "stream_url", "stream_url applies only to media_stream agents"),
    ("read-only field", "media", {"trunk_id": "trk_1"}, "trunk_id",
     "trunk_id is not a known field"),
    ("agent_id in the body", "media", {"agent_id": MARK}, "agent_id",
     "agent_id is not a known field"),
    ("tenant_id in the body", "media", {"tenant_id": MARK}, "tenant_id",
     "tenant_id is not a known field"),
]


@pytest.mark.parametrize("kind, body, field, message", [c[1:] for c in PATCH_CASES],
                         ids=[c[0] for c in PATCH_CASES])
def test_patch_rejects_invalid_fields_and_leaves_the_agent_unchanged(
        alice, storage, kind, body, field, message):
    agent = create_agent(alice, media() if kind == "media" else receptionist())
    before = storage.all_items()

    assert_rejected(alice.patch(f"/v1/agents/{agent['id']}", body), field, message)

    assert alice.get(f"/v1/agents/{agent['id']}").json == agent
    assert storage.all_items() == before


# --- the telephony link

def test_linking_stores_the_link_on_both_items(alice, links):
    agent, trunk = create_agent(alice), alice.create()

    reply = link(alice, agent, trunk)

    assert reply.status == 200
    assert reply.json == {**agent, "trunk_id": trunk["id"]}
    assert agent_of(alice, trunk) == agent["id"]
    assert (links.agents()[agent["id"]], links.trunks()[trunk["id"]]) == (trunk["id"], agent["id"])


def test_linking_again_changes_nothing(alice, storage):
    agent, trunk = create_agent(alice), alice.create()
    first = link(alice, agent, trunk)
    before = storage.all_items()

    again = link(alice, agent, trunk)

    assert (again.status, again.json) == (200, first.json)
    assert storage.all_items() == before


def test_linking_another_agent_to_the_trunk_unlinks_the_first(alice, links):
    first, second, trunk = create_agent(alice), create_agent(alice, media()), alice.create()
    link(alice, first, trunk)

    reply = link(alice, second, trunk)

    assert reply.json["trunk_id"] == trunk["id"]
    assert agent_of(alice, trunk) == second["id"]
    assert trunk_of(alice, first) is None
    links.assert_consistent()


def test_linking_the_agent_to_another_trunk_leaves_the_first_trunk(alice, links):
    agent = create_agent(alice)
    first, second = alice.create(extension="1000"), alice.create(extension="1001")
    link(alice, agent, first)

    reply = link(alice, agent, second)

    assert reply.json["trunk_id"] == second["id"]
    assert agent_of(alice, first) is None
    assert agent_of(alice, second) == agent["id"]
    links.assert_consistent()


def test_relinking_in_both_directions_at_once_keeps_one_agent_per_trunk(alice, links):
    a, b = create_agent(alice), create_agent(alice)
    x, y = alice.create(extension="1000"), alice.create(extension="1001")
    link(alice, a, x)
    link(alice, b, y)

    link(alice, a, y)  # y loses b, x loses a

    assert (trunk_of(alice, a), trunk_of(alice, b)) == (y["id"], None)
    assert (agent_of(alice, x), agent_of(alice, y)) == (None, a["id"])
    links.assert_consistent()


def test_unlinking_answers_204_and_clears_both_items(alice, links):
    agent, trunk = create_agent(alice), alice.create()
    link(alice, agent, trunk)

    reply = alice.delete(f"/v1/agents/{agent['id']}/telephony")

    assert (reply.status, reply.body) == (204, b"")
    assert (trunk_of(alice, agent), agent_of(alice, trunk)) == (None, None)
    assert (links.agents()[agent["id"]], links.trunks()[trunk["id"]]) == (None, None)


def test_unlinking_an_agent_that_is_not_linked_is_404(alice):
    agent = create_agent(alice)

    reply = alice.delete(f"/v1/agents/{agent['id']}/telephony")

    assert (reply.status, reply.error["code"]) == (404, "not_found")
    assert "not linked" in reply.error["message"]


def test_deleting_a_linked_agent_unlinks_its_trunk(alice, links):
    agent, trunk = create_agent(alice), alice.create()
    link(alice, agent, trunk)

    assert alice.delete(f"/v1/agents/{agent['id']}").status == 204

    assert agent_of(alice, trunk) is None
    assert agent["id"] not in links.agents()
    links.assert_consistent()


def test_deleting_a_linked_trunk_unlinks_its_agent(alice, links):
    agent, trunk = create_agent(alice), alice.create()
    link(alice, agent, trunk)

    assert alice.delete(f"/v1/trunks/{trunk['id']}").status == 204

    assert trunk_of(alice, agent) is None
    links.assert_consistent()


def test_an_agent_can_be_linked_again_after_its_trunk_was_deleted(alice, links):
    agent, gone, trunk = create_agent(alice), alice.create(extension="1000"), \
        alice.create(extension="1001")
    link(alice, agent, gone)
    alice.delete(f"/v1/trunks/{gone['id']}")

    assert link(alice, agent, trunk).json["trunk_id"] == trunk["id"]
    links.assert_consistent()


LINK_CASES = [
    ("missing trunk_id", {}, "trunk_id", "trunk_id is required"),
    ("null trunk_id", {"trunk_id": None}, "trunk_id", "trunk_id must be a valid string"),
    ("trunk_id not a string", {"trunk_id": 7}, "trunk_id", "trunk_id must be a valid string"),
    ("malformed trunk_id", {"trunk_id": f"{MARK}/../x"}, "trunk_id", "trunk_id must be an id"),
    ("overlong trunk_id", {"trunk_id": MARK * 40}, "trunk_id", "trunk_id must be an id"),
    ("agent_id in the body", {"trunk_id": "trk_1", "agent_id": MARK}, "agent_id",
     "agent_id is not a known field"),
    ("unknown field", {"trunk_id": "trk_1", "colour": MARK}, "colour",
     "colour is not a known field"),
]


@pytest.mark.parametrize("body, field, message", [c[1:] for c in LINK_CASES],
                         ids=[c[0] for c in LINK_CASES])
def test_link_rejects_an_invalid_body_and_writes_nothing(alice, storage, body, field, message):
    agent = create_agent(alice)
    before = storage.all_items()

    assert_rejected(alice.put(f"/v1/agents/{agent['id']}/telephony", body), field, message)

    assert storage.all_items() == before


def test_linking_to_an_unknown_trunk_is_404(alice, storage):
    agent = create_agent(alice)
    before = storage.all_items()

    reply = alice.put(f"/v1/agents/{agent['id']}/telephony",
                {"trunk_id": "trk_00000000000000000000"})

    assert (reply.status, reply.error["message"]) == (404, "No trunk trk_00000000000000000000.")
    assert storage.all_items() == before


# --- tenant isolation

def test_another_tenants_agent_is_404_on_every_route_and_stays_unchanged(alice, bob, storage):
    agent, trunk = create_agent(alice), alice.create()
    link(alice, agent, trunk)
    mine = alice.get(f"/v1/agents/{agent['id']}").json
    theirs = bob.create()
    path = f"/v1/agents/{agent['id']}"
    before = storage.all_items()

    replies = {
        "get": bob.get(path),
        "patch": bob.patch(path, {"name": "mine now"}),
        "delete": bob.delete(path),
        "link": bob.put(path + "/telephony", {"trunk_id": theirs["id"]}),
        "unlink": bob.delete(path + "/telephony"),
    }

    for name, reply in replies.items():
        assert (name, reply.status, reply.error["message"]) == (
            name, 404, f"No agent {agent['id']}.")
    assert bob.get("/v1/agents").json == {"agents": []}
    assert alice.get(path).json == mine
    assert storage.all_items() == before


def test_an_agent_cannot_be_linked_to_another_tenants_trunk(alice, bob, storage):
    agent, theirs = create_agent(alice), bob.create()
    before = storage.all_items()

    reply = link(alice, agent, theirs)

    assert (reply.status, reply.error["message"]) == (404, f"No trunk {theirs['id']}.")
    assert storage.all_items() == before
    assert agent_of(bob, theirs) is None


def test_malformed_agent_ids_are_404_without_echo(alice):
    for method in ("GET", "PATCH", "DELETE"):
        reply = alice.api.request(method, f"/v1/agents/{MARK}{'x' * 70}", {},
                                  tenant=alice.tenant)
        assert (reply.status, reply.error["message"]) == (404, "No agent with this id.")
        assert MARK not in reply.body.decode()


def test_concurrent_links_never_leave_the_two_items_disagreeing(aws_endpoint, tenant):
    import random
    import threading

    from smartalex.bootstrap import bootstrap
    from smartalex.domain.agent_commands import CreateAgent, LinkAgent
    from smartalex.domain.commands import CreateTrunk
    from smartalex.domain.errors import Conflict
    from smartalex.service_layer import agents as agent_cases
    from smartalex.service_layer import trunks as trunk_cases

    s = bootstrap()
    trunks = [trunk_cases.create_trunk(CreateTrunk(
        tenant_id=tenant, pbx_type="asterisk", domain="pbx.example.com", extension=str(1000 + i),
        password="pw"), trunks=s.trunks, secrets=s.secrets) for i in range(3)]
    agents = [agent_cases.create_agent(CreateAgent(tenant_id=tenant, name=f"agent {i}",
                                                   kind="receptionist"), agents=s.agents)
              for i in range(3)]
    outcomes: list[str] = []

    def relink_at_random(seed: int) -> None:
        rng, own = random.Random(seed), bootstrap()  # one connection per thread, as per Lambda
        for _ in range(6):
            cmd = LinkAgent(tenant_id=tenant, agent_id=rng.choice(agents).agent_id,
                            trunk_id=rng.choice(trunks).trunk_id)
            try:
                agent_cases.link_agent(cmd, agents=own.agents, trunks=own.trunks)
                outcomes.append("linked")
            except Conflict:
                outcomes.append("conflict")  # answered 409: lost four races in a row

    threads = [threading.Thread(target=relink_at_random, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 36 and "linked" in outcomes
    agent_side = {a.agent_id: s.agents.find(a.agent_id).trunk_id for a in agents}
    trunk_side = {t.trunk_id: s.trunks.find(t.trunk_id).agent_id for t in trunks}
    assert {a: t for a, t in agent_side.items() if t} == \
        {a: t for t, a in trunk_side.items() if a}  # every link is on both items, or neither
    answering = [a for a in trunk_side.values() if a]
    assert len(answering) == len(set(answering))  # no agent answers two trunks
