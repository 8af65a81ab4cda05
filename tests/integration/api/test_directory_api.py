"""A trunk's directory over HTTP, stored in DynamoDB on the moto server: the entry lifecycle,
field validation with nothing written, tenant isolation on every route, resolving what a caller
said, and the trunk's `directory_version` bumping with every write (edges watch it)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from .conftest import MARK, assert_rejected

SARAH = {"extension": "215", "display_name": "Sarah Murphy", "aliases": ["Sarah", "billing"]}


def directory_of(trunk) -> str:
    return f"/v1/trunks/{trunk['id']}/directory"


def add(who, trunk, **entry):
    reply = who.post(directory_of(trunk), {**SARAH, **entry})
    assert reply.status == 201, reply.json
    return reply.json


class Stored:
    """The directory and the trunk's version, read straight from the tables."""

    def __init__(self, storage):
        from smartalex.adapters import names

        self.storage, self.names = storage, names

    def version(self, trunk) -> int:
        item = self.storage.dynamodb.get_item(
            TableName=self.names.trunks_table(), Key={"trunk_id": {"S": trunk["id"]}},
            ConsistentRead=True)["Item"]
        return int(item.get("directory_version", {"N": "0"})["N"])

    def entries(self, trunk) -> dict[str, dict]:
        pages = self.storage.dynamodb.get_paginator("query").paginate(
            TableName=self.names.directory_table(), ConsistentRead=True,
            KeyConditionExpression="trunk_id = :t",
            ExpressionAttributeValues={":t": {"S": trunk["id"]}})
        return {i["extension"]["S"]: i for page in pages for i in page["Items"]}

    def snapshot(self, trunk) -> tuple:
        return self.version(trunk), self.entries(trunk)


@pytest.fixture
def stored(storage) -> Stored:
    return Stored(storage)


@pytest.fixture
def trunk(alice):
    return alice.create()


# --- lifecycle

def test_a_new_trunk_has_an_empty_directory(alice, trunk):
    reply = alice.get(directory_of(trunk))

    assert (reply.status, reply.json) == (200, {"entries": []})


def test_post_answers_201_with_the_cleaned_entry_and_stores_it(alice, trunk, stored):
    reply = alice.post(directory_of(trunk), {
        "extension": " 215 ", "display_name": "  Sarah   Murphy ",
        "aliases": [" billing", "Billing", "", "accounts "]})

    assert reply.status == 201
    assert reply.json == {"extension": "215", "display_name": "Sarah Murphy",
                          "aliases": ["billing", "accounts"]}
    item = stored.entries(trunk)["215"]
    assert item["tenant_id"]["S"] == alice.tenant
    assert [a["S"] for a in item["aliases"]["L"]] == ["billing", "accounts"]


def test_list_is_sorted_by_extension_in_numeric_order(alice, trunk):
    for ext, name in (("1000", "Night Line"), ("215", "Sarah Murphy"), ("100", "Reception"),
                      ("sales", "Sales")):
        add(alice, trunk, extension=ext, display_name=name, aliases=[])

    entries = alice.get(directory_of(trunk)).json["entries"]

    assert [e["extension"] for e in entries] == ["100", "215", "1000", "sales"]
    assert entries[0] == {"extension": "100", "display_name": "Reception", "aliases": []}


def test_posting_a_listed_extension_again_is_409_and_keeps_the_first(alice, trunk, stored):
    add(alice, trunk)
    before = stored.snapshot(trunk)

    reply = alice.post(directory_of(trunk), {**SARAH, "display_name": "Someone Else"})

    assert reply.status == 409
    assert reply.error == {"code": "conflict", "field": None,
                           "message": "Extension 215 is already in this trunk's directory."}
    assert stored.snapshot(trunk) == before


def test_put_creates_an_entry_and_then_replaces_it_whole(alice, trunk, stored):
    path = f"{directory_of(trunk)}/220"

    created = alice.put(path, {"display_name": "Sarah Chen", "aliases": ["marketing"]})
    replaced = alice.put(path, {"display_name": "Sarah Chen-Walsh"})

    assert (created.status, created.json) == (200, {
        "extension": "220", "display_name": "Sarah Chen", "aliases": ["marketing"]})
    assert (replaced.status, replaced.json) == (200, {
        "extension": "220", "display_name": "Sarah Chen-Walsh", "aliases": []})
    assert alice.get(directory_of(trunk)).json == {"entries": [replaced.json]}
    assert list(stored.entries(trunk)) == ["220"]


def test_put_accepts_the_same_extension_in_the_body_but_not_another(alice, trunk, stored):
    path = f"{directory_of(trunk)}/215"

    assert alice.put(path, SARAH).status == 200
    before = stored.snapshot(trunk)
    reply = alice.put(path, {**SARAH, "extension": "216"})

    assert reply.status == 400 and reply.error["field"] == "extension"
    assert "taken from the URL" in reply.error["message"]
    assert stored.snapshot(trunk) == before


def test_delete_answers_204_and_the_entry_is_gone(alice, trunk, stored):
    add(alice, trunk)

    reply = alice.delete(f"{directory_of(trunk)}/215")

    assert (reply.status, reply.body) == (204, b"")
    assert alice.get(directory_of(trunk)).json == {"entries": []}
    assert stored.entries(trunk) == {}


def test_deleting_the_trunk_deletes_its_directory(alice, trunk, stored):
    other = alice.create(extension="1001")
    for n in range(30):  # more than one batch write of 25
        add(alice, trunk, extension=str(300 + n), display_name=f"Person {n}", aliases=[])
    add(alice, other)

    assert alice.delete(f"/v1/trunks/{trunk['id']}").status == 204

    assert stored.entries(trunk) == {}
    assert list(stored.entries(other)) == ["215"]


def test_deleting_an_unlisted_extension_is_404_and_bumps_nothing(alice, trunk, stored):
    before = stored.version(trunk)

    reply = alice.delete(f"{directory_of(trunk)}/215")

    assert reply.status == 404
    assert reply.error["message"] == "Extension 215 is not in this trunk's directory."
    assert stored.version(trunk) == before


def test_each_write_bumps_the_trunks_directory_version_once(alice, trunk, stored):
    versions = [stored.version(trunk)]
    add(alice, trunk)
    versions.append(stored.version(trunk))
    alice.put(f"{directory_of(trunk)}/215", {"display_name": "Sarah Murphy", "aliases": []})
    versions.append(stored.version(trunk))
    alice.put(f"{directory_of(trunk)}/220", {"display_name": "Sarah Chen"})
    versions.append(stored.version(trunk))
    alice.delete(f"{directory_of(trunk)}/215")
    versions.append(stored.version(trunk))
    alice.get(directory_of(trunk))
    alice.post(f"{directory_of(trunk)}/resolve", {"text": "Sarah"})
    versions.append(stored.version(trunk))

    assert versions == [0, 1, 2, 3, 4, 4]


def test_failed_writes_do_not_bump_the_version(alice, trunk, stored):
    add(alice, trunk)
    before = stored.version(trunk)

    alice.post(directory_of(trunk), SARAH)                          # 409
    alice.post(directory_of(trunk), {**SARAH, "extension": ""})     # 400
    alice.delete(f"{directory_of(trunk)}/999")                       # 404

    assert stored.version(trunk) == before


def test_directories_of_two_trunks_are_separate(alice, trunk):
    other = alice.create(extension="1001")
    add(alice, trunk)

    assert alice.get(directory_of(other)).json == {"entries": []}
    assert add(alice, other)["extension"] == "215"


# --- resolving

@pytest.fixture
def demo(alice, trunk):
    for entry in ({"extension": "100", "display_name": "Reception",
                   "aliases": ["front desk", "operator"]},
                  SARAH | {"aliases": ["Sarah", "accounts", "billing"]},
                  {"extension": "220", "display_name": "Sarah Chen", "aliases": ["marketing"]},
                  {"extension": "301", "display_name": "Support", "aliases": ["tech support"]}):
        add(alice, trunk, **entry)
    return trunk


def resolve(who, trunk, text):
    reply = who.post(f"{directory_of(trunk)}/resolve", {"text": text})
    assert reply.status == 200, reply.json
    return reply.json


def test_resolve_answers_the_match_with_its_confidence(alice, demo):
    result = resolve(alice, demo, "I have a question about my invoice")

    assert result["verdict"] == "match"
    assert result["match"]["extension"] == "215"
    assert result["match"]["display_name"] == "Sarah Murphy"
    assert result["match"]["matched"] in ("accounts", "billing")
    assert 0.75 <= result["match"]["confidence"] <= 1
    assert result["candidates"][0] == result["match"]


def test_resolve_understands_extension_numbers_in_words(alice, demo):
    result = resolve(alice, demo, "extension three oh one please")

    assert (result["verdict"], result["match"]["extension"]) == ("match", "301")
    assert result["match"]["matched"] == "301"


def test_resolve_offers_candidates_when_ambiguous(alice, demo):
    result = resolve(alice, demo, "can I speak to Sarah")

    assert (result["verdict"], result["match"]) == ("ambiguous", None)
    assert {c["extension"] for c in result["candidates"]} == {"215", "220"}
    assert set(result["candidates"][0]) == {"extension", "display_name", "matched", "confidence"}


def test_resolve_reports_no_match_and_empty(alice, demo):
    assert resolve(alice, demo, "what are your opening hours") == {
        "match": None, "verdict": "no_match", "candidates": []}
    assert resolve(alice, demo, "") == {"match": None, "verdict": "empty", "candidates": []}


def test_resolve_sees_changes_at_once(alice, demo):
    assert resolve(alice, demo, "marketing")["match"]["extension"] == "220"

    alice.put(f"{directory_of(demo)}/220", {"display_name": "Sarah Chen"})

    assert resolve(alice, demo, "marketing")["verdict"] == "no_match"


# --- validation: every field named, nothing written

ENTRY_CASES = [
    ("missing extension", {"display_name": "X"}, "extension", "extension is required"),
    ("empty extension", {**SARAH, "extension": " "}, "extension", "extension is required"),
    ("extension with a space", {**SARAH, "extension": f"2 {MARK}"}, "extension",
     "extension may contain only letters, digits"),
    ("extension with @", {**SARAH, "extension": f"{MARK}@pbx"}, "extension",
     "extension may contain only letters, digits"),
    ("extension too long", {**SARAH, "extension": MARK * 9}, "extension",
     "extension must be at most 32 characters"),
    ("extension as a number", {**SARAH, "extension": 215}, "extension",
     "extension must be a valid string"),
    ("missing display name", {"extension": "215"}, "display_name", "display_name is required"),
    ("blank display name", {**SARAH, "display_name": "   "}, "display_name",
     "display_name is required"),
    ("display name too long", {**SARAH, "display_name": MARK * 17}, "display_name",
     "display_name must be at most 64 characters"),
    ("display name with a newline", {**SARAH, "display_name": f"{MARK}\nX"}, "display_name",
     "display_name must not contain control characters"),
    ("display name not a string", {**SARAH, "display_name": ["X"]}, "display_name",
     "display_name must be a valid string"),
    ("aliases not a list", {**SARAH, "aliases": MARK}, "aliases", "aliases must be a valid list"),
    ("alias not a string", {**SARAH, "aliases": ["billing", 7]}, "aliases.1",
     "aliases.1 must be a valid string"),
    ("alias too long", {**SARAH, "aliases": [MARK * 17]}, "aliases",
     "aliases must each be at most 64 characters"),
    ("too many aliases", {**SARAH, "aliases": [f"{MARK}{k}" for k in range(21)]}, "aliases",
     "aliases must have at most 20 different aliases"),
    ("unknown field", {**SARAH, "colour": MARK}, "colour", "colour is not a known field"),
    ("trunk id in the body", {**SARAH, "trunk_id": MARK}, "trunk_id",
     "trunk_id is not a known field"),
]


@pytest.fixture
def nothing_written(alice, trunk, stored):
    before = stored.snapshot(trunk)
    yield
    assert stored.snapshot(trunk) == before
    assert alice.get(directory_of(trunk)).json == {"entries": []}


@pytest.mark.parametrize("body, field, message", [c[1:] for c in ENTRY_CASES],
                         ids=[c[0] for c in ENTRY_CASES])
def test_post_rejects_invalid_fields_by_name_and_writes_nothing(
        alice, trunk, nothing_written, body, field, message):
    assert_rejected(alice.post(directory_of(trunk), body), field, message)


@pytest.mark.parametrize("body, field, message",
                         [c[1:] for c in ENTRY_CASES if c[2] != "extension"],
                         ids=[c[0] for c in ENTRY_CASES if c[2] != "extension"])
def test_put_rejects_invalid_fields_by_name_and_writes_nothing(
        alice, trunk, nothing_written, body, field, message):
    body = {k: v for k, v in body.items() if k != "extension"}
    assert_rejected(alice.put(f"{directory_of(trunk)}/215", body), field, message)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
@pytest.mark.parametrize("extension, message", [
    (f"{MARK}@pbx", "extension may contain only letters, digits"),
    ("9" * 33, "extension must be at most 32 characters"),
])
def test_an_invalid_extension_in_the_url_is_400(alice, trunk, nothing_written, method,
                                                extension, message):
    reply = alice.api.request(method, f"{directory_of(trunk)}/{extension}",
                              {"display_name": "X"} if method == "PUT" else None,
                              tenant=alice.tenant)

    assert_rejected(reply, "extension", message)


@pytest.mark.parametrize("raw, message", [
    (b"", "The request body must be a JSON object."),
    (b"[1, 2]", "The request body must be a JSON object"),
    (b"{not json", "The request body is not valid JSON"),
])
def test_post_rejects_a_body_that_is_not_a_json_object(alice, trunk, nothing_written, raw,
                                                       message):
    reply = alice.post(directory_of(trunk), raw=raw)

    assert reply.status == 400 and reply.error["message"].startswith(message)


@pytest.mark.parametrize("body, field, message", [
    ({}, "text", "text is required"),
    ({"text": 42}, "text", "text must be a valid string"),
    ({"text": None}, "text", "text must be a valid string"),
    ({"text": "x" * 1001}, "text", "text must have at most 1000 characters"),
    ({"text": "billing", "language": MARK}, "language", "language is not a known field"),
])
def test_resolve_rejects_invalid_fields_by_name(alice, trunk, body, field, message):
    assert_rejected(alice.post(f"{directory_of(trunk)}/resolve", body), field, message)


def test_the_thousand_and_first_entry_is_refused(alice, trunk, stored):
    # Filled straight into the table (1,000 API calls would be slow), then the API refuses.
    from smartalex.adapters.dynamodb.models import DirectoryEntryModel

    with DirectoryEntryModel.batch_write() as batch:
        for k in range(1000):
            batch.save(DirectoryEntryModel(trunk["id"], str(5000 + k), tenant_id=alice.tenant,
                                           display_name=f"Person {k}", aliases=[],
                                           updated_at=datetime.now(timezone.utc)))
    before = stored.version(trunk)

    reply = alice.post(directory_of(trunk), SARAH)

    assert reply.status == 409 and "1,000 entries" in reply.error["message"]
    assert alice.put(f"{directory_of(trunk)}/5000", {"display_name": "Renamed"}).status == 200
    assert stored.version(trunk) == before + 1
    assert len(alice.get(directory_of(trunk)).json["entries"]) == 1000


# --- tenants

def test_every_route_answers_404_for_another_tenants_trunk(alice, bob, trunk, stored):
    add(alice, trunk)
    before = stored.snapshot(trunk)
    base = directory_of(trunk)

    replies = [
        bob.get(base),
        bob.post(base, {**SARAH, "extension": "216"}),
        bob.put(f"{base}/215", {"display_name": "Mallory"}),
        bob.put(f"{base}/216", {"display_name": "Mallory"}),
        bob.delete(f"{base}/215"),
        bob.post(f"{base}/resolve", {"text": "billing"}),
    ]

    assert [r.status for r in replies] == [404] * 6
    assert all(r.error["code"] == "not_found" for r in replies)
    assert "Sarah" not in "".join(r.body.decode() for r in replies)
    assert stored.snapshot(trunk) == before


@pytest.mark.parametrize("trunk_id", ["trk_doesnotexist0000000", "x" * 65, "bad%20id"])
def test_every_route_answers_404_for_an_unknown_trunk(alice, trunk_id):
    base = f"/v1/trunks/{trunk_id}/directory"

    replies = [alice.get(base), alice.post(base, SARAH),
               alice.put(f"{base}/215", {"display_name": "X"}), alice.delete(f"{base}/215"),
               alice.post(f"{base}/resolve", {"text": "billing"})]

    assert [r.status for r in replies] == [404] * 5


def test_every_route_needs_a_token(api, trunk):
    base = directory_of(trunk)

    replies = [api.request("GET", base), api.request("POST", base, SARAH),
               api.request("PUT", f"{base}/215", {"display_name": "X"}),
               api.request("DELETE", f"{base}/215"),
               api.request("POST", f"{base}/resolve", {"text": "billing"})]

    assert [r.status for r in replies] == [401] * 5


# --- the repository on its own (the conditions behind the service's checks)

def test_the_repository_refuses_writes_for_a_missing_or_foreign_trunk(alice, trunk, stored):
    from smartalex.adapters.dynamodb.directory import DynamoDirectoryRepository
    from smartalex.domain.directory import DirectoryEntry
    from smartalex.domain.errors import NotFound

    repo = DynamoDirectoryRepository()
    entry = DirectoryEntry("215", "Sarah Murphy")

    with pytest.raises(NotFound, match="No trunk"):
        repo.put(f"{alice.tenant}-bob", trunk["id"], entry, create=True)
    with pytest.raises(NotFound, match="No trunk"):
        repo.put(alice.tenant, "trk_gone", entry, create=False)
    with pytest.raises(NotFound, match="No trunk"):
        repo.delete("trk_gone", "215")
    assert stored.snapshot(trunk) == (0, {})
    assert stored.entries({"id": "trk_gone"}) == {}
