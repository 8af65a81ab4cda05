"""Phone numbers over HTTP, stored in DynamoDB on the moto server: binding a DID to a trunk's
AI extension (every validation rule, and nothing written on any rejection), the cross-tenant
uniqueness claim, listing with the routing in words, unbinding, and tenant isolation."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from .conftest import ISO_Z

REPRESENTATION_KEYS = {"id", "e164", "display", "label", "trunk_id", "extension", "agent_id",
                       "agent_name", "routing", "created_at"}
BIND = "/v1/phone-numbers/pbx-extension"


@dataclass(frozen=True)
class Did:
    """An Irish mobile number of its own per test: the claims table (and so the uniqueness of
    DIDs) is shared by the whole session."""

    digits: str  # the seven after 087

    @property
    def e164(self) -> str:
        return f"+35387{self.digits}"

    @property
    def display(self) -> str:
        return f"+353 87 {self.digits[:3]} {self.digits[3:]}"

    @property
    def national(self) -> str:
        return f"087{self.digits}"


def fresh_did() -> Did:
    return Did(f"{random.randrange(10 ** 7):07d}")


@pytest.fixture
def did() -> Did:
    return fresh_did()


def create_agent(who, **changes):
    body = {"name": "Front desk", "kind": "receptionist", **changes}
    reply = who.post("/v1/agents", body)
    assert reply.status == 201, reply.json
    return reply.json


def binding(trunk, agent, number: Did | None = None, **changes):
    """A valid body for binding `number` (a fresh one if not given); `changes` override
    fields, `...` removes one."""
    body = {"trunk_id": trunk["id"], "extension": trunk["extension"], "agent_id": agent["id"],
            "did": (number or fresh_did()).display, **changes}
    return {k: v for k, v in body.items() if v is not ...}


def bind(who, trunk, agent, number: Did | None = None, **changes):
    reply = who.post(BIND, binding(trunk, agent, number, **changes))
    assert reply.status == 201, reply.json
    return reply.json


class Bindings:
    """What binding writes, read straight from the tables: numbers, DID claims, and the
    trunks' bindings_version."""

    def __init__(self, storage):
        from smartalex.adapters import names

        self.storage, self.names = storage, names

    def numbers(self) -> list[dict]:
        return self.storage.items(self.names.phone_numbers_table())

    def claims(self) -> dict[str, str]:
        return {i["claim"]["S"]: i["owner_id"]["S"]
                for i in self.storage.items(self.names.claims_table())
                if i["claim"]["S"].startswith("did:")}

    def version(self, trunk_id: str) -> int:
        [item] = [i for i in self.storage.items(self.names.trunks_table())
                  if i["trunk_id"]["S"] == trunk_id]
        return int(item.get("bindings_version", {"N": "0"})["N"])

    def snapshot(self, *trunk_ids: str):
        return (sorted(map(repr, self.numbers())), self.claims(),
                [self.version(t) for t in trunk_ids])


@pytest.fixture
def bindings(storage) -> Bindings:
    return Bindings(storage)


@pytest.fixture
def setup(alice):
    """Alice's trunk (extension 1000 on pbx.example.com) and her receptionist."""
    return alice.create(), create_agent(alice)


# --- binding

def test_binding_answers_201_with_the_number_and_how_it_routes(alice, setup, did):
    trunk, agent = setup

    reply = alice.post(BIND, binding(trunk, agent, did, label="  Main line  "))

    assert reply.status == 201
    number = reply.json
    assert set(number) == REPRESENTATION_KEYS
    assert number["id"].startswith("num_")
    assert (number["e164"], number["display"], number["label"]) == (
        did.e164, did.display, "Main line")
    assert (number["trunk_id"], number["extension"], number["agent_id"], number["agent_name"]) \
        == (trunk["id"], "1000", agent["id"], "Front desk")
    assert number["routing"] == (f"Calls to {did.display} reach extension 1000 on "
                                 "pbx.example.com and are answered by Front desk (receptionist)")
    assert ISO_Z.match(number["created_at"])


def test_binding_stores_the_number_its_claim_and_bumps_the_trunks_bindings_version(
        alice, setup, bindings, did):
    trunk, agent = setup
    before = bindings.version(trunk["id"])

    number = bind(alice, trunk, agent, did)

    [item] = [i for i in bindings.numbers() if i["number_id"]["S"] == number["id"]]
    assert item["tenant_id"]["S"] == alice.tenant
    assert (item["e164"]["S"], item["national_number"]["S"]) == (did.e164, did.e164[4:])
    assert bindings.claims()[f"did:{did.e164}"] == number["id"]
    assert bindings.version(trunk["id"]) == before + 1


@pytest.mark.parametrize("shape, country, e164", [
    ("087{d}", "IE", "+35387{d}"),
    ("(087) {d3}-{d4}", "ie", "+35387{d}"),
    ("00353 87 {d3} {d4}", "IE", "+35387{d}"),
    ("+353 (0)87 {d}", None, "+35387{d}"),
    ("+44 20 7{d3} {d4}", None, "+44207{d}"),
    ("+44 20 7{d3} {d4}", "IE", "+44207{d}"),  # the + wins over the country
    ("01 {d}", "IE", "+3531{d}"),
])
def test_the_did_is_normalised_to_e164(alice, setup, shape, country, e164):
    trunk, agent = setup
    d = fresh_did().digits
    parts = {"d": d, "d3": d[:3], "d4": d[3:]}
    body = binding(trunk, agent, did=shape.format(**parts), country=country or ...)

    reply = alice.post(BIND, body)

    assert reply.status == 201, reply.json
    assert reply.json["e164"] == e164.format(**parts)


def test_a_media_stream_agent_is_named_as_such_in_the_routing(alice, setup):
    trunk, _ = setup
    agent = create_agent(alice, name="Sales bot", kind="media_stream",
                         stream_url="wss://agent.example.com/stream")

    number = bind(alice, trunk, agent)

    assert number["routing"].endswith("answered by Sales bot (media-stream agent)")


# --- every rule, named, and nothing written on rejection

REJECTIONS = [
    ("wrong extension", {"extension": "1001"}, 400, "extension",
     "extension must be the extension the trunk registers as (1000)"),
    ("invalid extension", {"extension": "10 00"}, 400, "extension", "extension may contain only"),
    ("unknown trunk", {"trunk_id": "trk_00000000000000000000"}, 400, "trunk_id",
     "trunk_id: no such trunk"),
    ("malformed trunk id", {"trunk_id": "trk 1"}, 400, "trunk_id", "trunk_id must be an id"),
    ("unknown agent", {"agent_id": "agt_00000000000000000000"}, 400, "agent_id",
     "agent_id: no such agent"),
    ("invalid did", {"did": "+353 12"}, 400, "did", "did is not a valid phone number"),
    ("invalid national did", {"did": "12345", "country": "IE"}, 400, "did",
     "did is not a valid phone number in IE"),
    ("did with letters", {"did": "+1 800 FLOWERS"}, 400, "did", "did may contain only digits"),
    ("did too long", {"did": "+353" + "1" * 40}, 400, "did", "did must be at most 32"),
    ("empty did", {"did": "  "}, 400, "did", "did is required"),
    ("national did without country", {"did": "0871234567"}, 400, "did",
     "did is in national format: give country"),
    ("00 did without country", {"did": "00353871234567"}, 400, "did",
     "did is in national format: give country"),
    ("unknown country", {"did": "0871234567", "country": "UK"}, 400, "country",
     "country must be an ISO 3166-1 alpha-2 country code"),
    ("label too long", {"label": "x" * 65}, 400, "label", "label must be at most 64"),
    ("missing did", {"did": ...}, 400, "did", "did is required"),
    ("missing agent", {"agent_id": ...}, 400, "agent_id", "agent_id is required"),
    ("unknown field", {"routing": "anything"}, 400, "routing", "routing is not a known field"),
    ("number id in the body", {"number_id": "num_1"}, 400, "number_id",
     "number_id is not a known field"),
    ("tenant id in the body", {"tenant_id": "someone"}, 400, "tenant_id",
     "tenant_id is not a known field"),
]


@pytest.mark.parametrize("changes, status, field, message", [c[1:] for c in REJECTIONS],
                         ids=[c[0] for c in REJECTIONS])
def test_binding_rejects_each_rule_by_name_and_writes_nothing(
        alice, setup, bindings, changes, status, field, message):
    trunk, agent = setup
    before = bindings.snapshot(trunk["id"])

    reply = alice.post(BIND, binding(trunk, agent, **changes))

    assert (reply.status, reply.error["code"], reply.error["field"]) == (
        status, "invalid_input", field), reply.json
    assert reply.error["message"].startswith(message), reply.error["message"]
    assert bindings.snapshot(trunk["id"]) == before
    assert alice.get("/v1/phone-numbers").json == {"phone_numbers": []}


def test_binding_rejects_a_body_that_is_not_a_json_object(alice, setup, bindings):
    before = bindings.snapshot(setup[0]["id"])

    reply = alice.post(BIND, raw=b'["did"]')

    assert (reply.status, reply.error["field"]) == (400, None)
    assert bindings.snapshot(setup[0]["id"]) == before


def test_another_tenants_trunk_is_no_such_trunk_and_nothing_is_written(alice, bob, setup,
                                                                       bindings):
    _, agent = setup
    theirs = bob.create()
    before = bindings.snapshot(theirs["id"])

    reply = alice.post(BIND, binding(theirs, agent))

    assert (reply.status, reply.error["field"], reply.error["message"]) == (
        400, "trunk_id", "trunk_id: no such trunk")
    assert bindings.snapshot(theirs["id"]) == before


def test_another_tenants_agent_is_no_such_agent_and_nothing_is_written(alice, bob, setup,
                                                                       bindings):
    trunk, _ = setup
    theirs = create_agent(bob)
    before = bindings.snapshot(trunk["id"])

    reply = alice.post(BIND, binding(trunk, theirs))

    assert (reply.status, reply.error["field"], reply.error["message"]) == (
        400, "agent_id", "agent_id: no such agent")
    assert bindings.snapshot(trunk["id"]) == before


def test_a_did_bound_twice_by_the_same_tenant_is_409_and_nothing_is_written(alice, setup,
                                                                            bindings):
    trunk, agent = setup
    did = fresh_did()
    bind(alice, trunk, agent, did)
    other_trunk = alice.create(extension="1001")
    before = bindings.snapshot(trunk["id"], other_trunk["id"])

    again = alice.post(BIND, {**binding(trunk, agent), "did": did.national, "country": "IE"})
    elsewhere = alice.post(BIND, binding(other_trunk, agent, did))

    for reply in (again, elsewhere):
        assert (reply.status, reply.error["code"], reply.error["message"]) == (
            409, "conflict", f"{did.display} is already bound")
    assert bindings.snapshot(trunk["id"], other_trunk["id"]) == before


def test_a_did_bound_by_another_tenant_is_409_without_revealing_them(alice, bob, setup,
                                                                     bindings):
    trunk, agent = setup
    did = fresh_did()
    mine = bind(alice, trunk, agent, did)
    their_trunk, their_agent = bob.create(), create_agent(bob)
    before = bindings.snapshot(trunk["id"], their_trunk["id"])

    reply = bob.post(BIND, binding(their_trunk, their_agent, did))

    assert (reply.status, reply.error["message"]) == (409, f"{did.display} is already bound")
    body = reply.body.decode()
    assert alice.tenant not in body and mine["id"] not in body and trunk["id"] not in body
    assert bindings.snapshot(trunk["id"], their_trunk["id"]) == before
    assert bob.get("/v1/phone-numbers").json == {"phone_numbers": []}


# --- listing, reading, unbinding

def test_list_returns_the_tenants_numbers_oldest_first(alice, bob, setup):
    trunk, agent = setup
    first = bind(alice, trunk, agent)
    second = bind(alice, trunk, agent, label="Sales")
    theirs = bind(bob, bob.create(), create_agent(bob))

    assert alice.get("/v1/phone-numbers").json == {"phone_numbers": [first, second]}
    assert bob.get("/v1/phone-numbers").json == {"phone_numbers": [theirs]}


def test_get_returns_the_number(alice, setup):
    number = bind(alice, *setup)

    reply = alice.get(f"/v1/phone-numbers/{number['id']}")

    assert (reply.status, reply.json) == (200, number)


def test_a_trunk_or_an_agent_that_numbers_route_to_cannot_be_deleted(alice, setup, bindings,
                                                                     did):
    trunk, agent = setup
    number = bind(alice, trunk, agent, did)
    before = bindings.snapshot(trunk["id"])

    for path, what in ((f"/v1/trunks/{trunk['id']}", "trunk"),
                       (f"/v1/agents/{agent['id']}", "agent")):
        reply = alice.delete(path)
        assert (reply.status, reply.error["code"]) == (409, "conflict"), reply.json
        assert reply.error["message"] == (
            f"Phone numbers are still bound to this {what}: {did.display}. Unbind them first "
            "(DELETE /v1/phone-numbers/{number_id}, ids in GET /v1/phone-numbers).")
        assert alice.get(path).status == 200
    assert bindings.snapshot(trunk["id"]) == before

    alice.delete(f"/v1/phone-numbers/{number['id']}")
    assert alice.delete(f"/v1/agents/{agent['id']}").status == 204
    assert alice.delete(f"/v1/trunks/{trunk['id']}").status == 204


def test_the_refusal_lists_a_few_numbers_and_counts_the_rest(alice, setup):
    trunk, agent = setup
    dids = sorted((fresh_did() for _ in range(5)), key=lambda d: d.e164)
    for d in dids:
        bind(alice, trunk, agent, d)

    message = alice.delete(f"/v1/trunks/{trunk['id']}").error["message"]

    shown = ", ".join(d.display for d in dids[:3])
    assert message.startswith(f"Phone numbers are still bound to this trunk: {shown} and 2 more.")


def test_a_number_bound_after_the_check_still_stops_the_delete(alice, setup):
    """The race the versions close: delete reads the trunk (or agent), finds no numbers, and a
    number is bound before its delete is written. The delete must then fail, not strand it."""
    from smartalex.adapters.dynamodb.agents import DynamoAgentRepository
    from smartalex.adapters.dynamodb.trunks import DynamoTrunkRepository
    from smartalex.domain.errors import Conflict

    trunk, agent = setup
    trunks, agents = DynamoTrunkRepository(), DynamoAgentRepository()
    read_trunk = trunks.get(alice.tenant, trunk["id"])
    read_agent = agents.get(alice.tenant, agent["id"])
    bind(alice, trunk, agent)

    with pytest.raises(Conflict):
        trunks.remove(read_trunk)
    with pytest.raises(Conflict):
        agents.remove(read_agent)
    assert alice.get(f"/v1/trunks/{trunk['id']}").status == 200
    assert alice.get(f"/v1/agents/{agent['id']}").status == 200


def test_unbinding_answers_204_removes_number_and_claim_and_bumps_the_version(
        alice, setup, bindings, did):
    trunk, agent = setup
    number = bind(alice, trunk, agent, did)
    bound_version = bindings.version(trunk["id"])

    reply = alice.delete(f"/v1/phone-numbers/{number['id']}")

    assert (reply.status, reply.body) == (204, b"")
    assert f"did:{did.e164}" not in bindings.claims()
    assert all(i["number_id"]["S"] != number["id"] for i in bindings.numbers())
    assert bindings.version(trunk["id"]) == bound_version + 1
    assert alice.get(f"/v1/phone-numbers/{number['id']}").status == 404
    assert alice.delete(f"/v1/phone-numbers/{number['id']}").status == 404
    assert alice.get("/v1/phone-numbers").json == {"phone_numbers": []}


def test_an_unbound_did_can_be_bound_again_by_anyone(alice, bob, setup, did):
    number = bind(alice, *setup, did)
    alice.delete(f"/v1/phone-numbers/{number['id']}")

    theirs = bind(bob, bob.create(), create_agent(bob), did)

    assert theirs["e164"] == did.e164


# --- tenant isolation

def test_another_tenants_number_is_404_on_every_route_and_stays_bound(alice, bob, setup,
                                                                      bindings):
    trunk, agent = setup
    number = bind(alice, trunk, agent)
    path = f"/v1/phone-numbers/{number['id']}"
    before = bindings.snapshot(trunk["id"])

    replies = {
        "get": bob.get(path),
        "delete": bob.delete(path),
        "diagnostics": bob.get(path + "/diagnostics"),
    }

    for name, reply in replies.items():
        assert (name, reply.status, reply.error["message"]) == (
            name, 404, f"No phone number {number['id']}.")
    assert bob.get("/v1/phone-numbers").json == {"phone_numbers": []}
    assert alice.get(path).json == number
    assert bindings.snapshot(trunk["id"]) == before


def test_every_route_needs_a_token(api):
    for method, path in (("GET", "/v1/phone-numbers"), ("POST", BIND),
                         ("GET", "/v1/phone-numbers/num_1"),
                         ("DELETE", "/v1/phone-numbers/num_1"),
                         ("GET", "/v1/phone-numbers/num_1/diagnostics")):
        reply = api.request(method, path, {})
        assert (method, path, reply.status) == (method, path, 401)


def test_malformed_number_ids_are_404_without_echo(alice):
    mark = "qz9x"
    for method, suffix in (("GET", ""), ("DELETE", ""), ("GET", "/diagnostics")):
        reply = alice.api.request(method, f"/v1/phone-numbers/{mark}{'x' * 70}{suffix}",
                                  tenant=alice.tenant)
        assert (reply.status, reply.error["message"]) == (404, "No phone number with this id.")
        assert mark not in reply.body.decode()


# --- the adapter re-checks the trunk and the agent inside the transaction

@pytest.mark.parametrize("change", ["extension", "agent", "trunk"])
def test_a_binding_whose_trunk_or_agent_changed_meanwhile_writes_nothing(
        alice, bob, setup, bindings, change):
    """The use case reads trunk and agent first; the transaction's conditions catch what
    changes between that read and the write."""
    from datetime import datetime, timezone

    from smartalex.adapters.dynamodb.numbers import DynamoPhoneNumberRepository
    from smartalex.domain.errors import Conflict
    from smartalex.domain.phone_number import PhoneNumber

    trunk, agent = setup
    did = fresh_did()
    fields = dict(number_id="num_00000000000000000000", tenant_id=alice.tenant, e164=did.e164,
                  national_number=did.e164[4:], label=None, trunk_id=trunk["id"],
                  extension="1000", agent_id=agent["id"], created_at=datetime.now(timezone.utc))
    if change == "extension":
        fields["extension"] = "1001"              # the trunk was re-pointed meanwhile
    elif change == "agent":
        fields["agent_id"] = create_agent(bob)["id"]   # not (or no longer) this tenant's
    else:
        fields["trunk_id"] = "trk_00000000000000000000"  # deleted meanwhile
    before = bindings.snapshot(trunk["id"])

    with pytest.raises(Conflict, match="changed or deleted by another request"):
        DynamoPhoneNumberRepository().add(PhoneNumber(**fields))

    assert bindings.snapshot(trunk["id"]) == before
    assert all(i["trunk_id"]["S"] != "trk_00000000000000000000"
               for i in bindings.storage.items(bindings.names.trunks_table()))


def test_the_trunk_records_which_numbers_are_bound_with_every_bind_and_unbind(
        alice, setup, services):
    """The edge reads the numbers through an eventually consistent index; the trunk item's
    record (read consistently) is what says when that read is complete."""
    trunk, agent = setup
    assert services.trunks.find(trunk["id"]).bound_numbers is None  # none recorded yet

    first = bind(alice, trunk, agent, fresh_did())
    second = bind(alice, trunk, agent, fresh_did())
    assert services.trunks.find(trunk["id"]).bound_numbers == {first["id"], second["id"]}

    assert alice.delete(f"/v1/phone-numbers/{first['id']}").status == 204
    assert services.trunks.find(trunk["id"]).bound_numbers == {second["id"]}
    assert alice.delete(f"/v1/phone-numbers/{second['id']}").status == 204
    assert services.trunks.find(trunk["id"]).bound_numbers == frozenset()  # none, recorded


def test_a_trunk_bound_before_the_record_existed_gets_one_with_its_older_numbers(
        alice, setup, services):
    from smartalex.adapters.dynamodb.models import TrunkModel

    trunk, agent = setup
    older = bind(alice, trunk, agent, fresh_did())
    TrunkModel(trunk["id"]).update(actions=[TrunkModel.bound_numbers.remove(),
                                            TrunkModel.bound_count.remove()])  # as it was
    assert services.trunks.find(trunk["id"]).bound_numbers is None

    newer = bind(alice, trunk, agent, fresh_did())

    assert services.trunks.find(trunk["id"]).bound_numbers == {older["id"], newer["id"]}
