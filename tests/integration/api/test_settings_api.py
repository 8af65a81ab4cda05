"""Tenant settings over HTTP on the local AWS endpoint: the default country, what it changes
when binding a national-format number, validation (nothing written on rejection), isolation."""

from __future__ import annotations

import pytest

from .conftest import ISO_Z
from .test_numbers_api import BIND, binding, create_agent, fresh_did

SETTINGS = "/v1/settings"


def settings_items(storage, tenant: str) -> list[dict]:
    from smartalex.adapters import names

    return [i for i in storage.items(names.settings_table()) if i["tenant_id"]["S"] == tenant]


def test_a_new_tenant_has_no_default_country(alice):
    reply = alice.get(SETTINGS)
    assert (reply.status, reply.json) == (200, {"default_country": None, "updated_at": None})


def test_the_default_country_is_stored_normalised_and_read_back(alice, storage):
    reply = alice.put(SETTINGS, {"default_country": "ie"})

    assert reply.status == 200, reply.json
    assert reply.json["default_country"] == "IE" and ISO_Z.match(reply.json["updated_at"])
    assert alice.get(SETTINGS).json == reply.json
    (item,) = settings_items(storage, alice.tenant)
    assert item["default_country"]["S"] == "IE"


def test_null_clears_the_default_country(alice):
    alice.put(SETTINGS, {"default_country": "IE"})

    reply = alice.put(SETTINGS, {"default_country": None})

    assert reply.status == 200 and reply.json["default_country"] is None
    assert alice.get(SETTINGS).json["default_country"] is None


REJECTIONS = [
    ("unknown country", {"default_country": "UK"}, "default_country",
     "default_country must be an ISO 3166-1 alpha-2 country code"),
    ("not a code", {"default_country": "Ireland"}, "default_country",
     "default_country must be an ISO 3166-1 alpha-2 country code"),
    ("missing field", {}, "default_country", "default_country is required"),
    ("unknown field", {"default_country": "IE", "timezone": "UTC"}, "timezone",
     "timezone is not a known field"),
    ("tenant id in the body", {"default_country": "IE", "tenant_id": "x"}, "tenant_id",
     "tenant_id is not a known field"),
]


@pytest.mark.parametrize("body, field, message", [r[1:] for r in REJECTIONS],
                         ids=[r[0] for r in REJECTIONS])
def test_bad_settings_are_rejected_by_name_and_change_nothing(alice, storage, body, field,
                                                              message):
    alice.put(SETTINGS, {"default_country": "GB"})
    before = alice.get(SETTINGS).json

    reply = alice.put(SETTINGS, body)

    assert (reply.status, reply.error["field"]) == (400, field), reply.json
    assert reply.error["message"].startswith(message), reply.error["message"]
    assert alice.get(SETTINGS).json == before


def test_a_body_that_is_not_an_object_is_rejected(alice, storage):
    reply = alice.put(SETTINGS, raw=b'"IE"')
    assert reply.status == 400
    assert settings_items(storage, alice.tenant) == []


def test_each_tenant_has_its_own_settings(alice, bob):
    alice.put(SETTINGS, {"default_country": "IE"})
    assert bob.get(SETTINGS).json["default_country"] is None
    bob.put(SETTINGS, {"default_country": "US"})
    assert alice.get(SETTINGS).json["default_country"] == "IE"


def test_settings_need_a_token(api):
    assert api.request("GET", SETTINGS).status == 401
    assert api.request("PUT", SETTINGS, {"default_country": "IE"}).status == 401


# --- what the default country changes

def test_a_national_number_is_read_in_the_default_country(alice):
    trunk, agent = alice.create(), create_agent(alice)
    did = fresh_did()
    alice.put(SETTINGS, {"default_country": "IE"})

    reply = alice.post(BIND, binding(trunk, agent, did=did.national))

    assert reply.status == 201, reply.json
    assert reply.json["e164"] == did.e164


def test_an_explicit_country_wins_over_the_default(alice):
    trunk, agent = alice.create(), create_agent(alice)
    alice.put(SETTINGS, {"default_country": "US"})
    did = fresh_did()

    reply = alice.post(BIND, binding(trunk, agent, did=did.national, country="IE"))

    assert reply.status == 201 and reply.json["e164"] == did.e164


def test_without_a_default_a_national_number_names_every_way_out(alice):
    trunk, agent = alice.create(), create_agent(alice)

    reply = alice.post(BIND, binding(trunk, agent, did=fresh_did().national))

    assert (reply.status, reply.error["field"]) == (400, "did")
    assert "give country" in reply.error["message"]
    assert "default_country (PUT /v1/settings)" in reply.error["message"]


def test_another_tenants_default_does_not_apply(alice, bob):
    bob.put(SETTINGS, {"default_country": "IE"})
    trunk, agent = alice.create(), create_agent(alice)

    reply = alice.post(BIND, binding(trunk, agent, did=fresh_did().national))

    assert reply.status == 400 and reply.error["field"] == "did"
