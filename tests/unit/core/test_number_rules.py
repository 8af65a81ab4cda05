"""Binding a number: the DID read in every shape admins type it, each field's rule, and how the
binding routes in words."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from smartalex.domain.agent import AgentKind
from smartalex.domain.dids import international, national_significant
from smartalex.domain.errors import InvalidInput
from smartalex.domain.number_commands import BindPbxExtension
from smartalex.domain.number_routing import NumberRouting
from smartalex.domain.phone_number import PhoneNumber

from .fakes import a_trunk, an_agent

IDS = {"tenant_id": "tenant-a", "trunk_id": "trk_1", "extension": "1000", "agent_id": "agt_1"}


def bind(**fields) -> BindPbxExtension:
    return BindPbxExtension(**{**IDS, **fields})


@pytest.mark.parametrize("did, country, e164", [
    ("+353 87 123 4567", None, "+353871234567"),
    ("+353871234567", None, "+353871234567"),
    ("+353 (0)87 123 4567", None, "+353871234567"),
    ("0871234567", "IE", "+353871234567"),
    ("087 123 4567", "ie", "+353871234567"),
    ("(087) 123-4567", "IE", "+353871234567"),
    ("00353 87 123 4567", "IE", "+353871234567"),
    ("01 555 0100", "IE", "+35315550100"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("(415) 555-0100", "US", "+14155550100"),
    ("+44 20 7946 0958", "IE", "+442079460958"),
])
def test_the_did_is_read_as_e164(did, country, e164):
    assert bind(did=did, country=country).did == e164


@pytest.mark.parametrize("did", ["0871234567", "087 123 4567", "00353871234567", "871234567"])
def test_a_national_did_needs_a_country(did):
    with pytest.raises(InvalidInput) as caught:
        bind(did=did)

    assert caught.value.field == "did"
    assert "give country" in str(caught.value) and "starting with +" in str(caught.value)
    assert did not in str(caught.value)


@pytest.mark.parametrize("did, country", [
    ("+353 12", None), ("+999 1234 5678", None), ("12345", "IE"), ("+", None), ("()", "IE"),
])
def test_an_invalid_did_is_refused_by_name(did, country):
    with pytest.raises(InvalidInput) as caught:
        bind(did=did, country=country)

    assert caught.value.field == "did"
    assert str(caught.value).startswith("did is not a valid phone number")


@pytest.mark.parametrize("fields, field, message", [
    ({"did": "+1 800 FLOWERS"}, "did", "may contain only digits"),
    ({"did": "+353 87 123 4567;ext=5"}, "did", "may contain only digits"),
    ({"did": "+353" + "1" * 40}, "did", "must be at most 32"),
    ({"did": ""}, "did", "is required"),
    ({"did": "+353871234567", "country": "UK"}, "country", "ISO 3166-1 alpha-2"),
    ({"did": "+353871234567", "country": "IRL"}, "country", "ISO 3166-1 alpha-2"),
    ({"did": "+353871234567", "label": "x" * 65}, "label", "at most 64"),
    ({"did": "+353871234567", "extension": "10 00"}, "extension", "may contain only"),
    ({"did": "+353871234567", "agent_id": "agt 1"}, "agent_id", "must be an id"),
    ({"did": "+353871234567", "trunk_id": ""}, "trunk_id", "must be an id"),
    ({"did": "+353871234567", "mode": "register"}, "mode", ""),
])
def test_each_field_is_checked(fields, field, message):
    with pytest.raises(ValidationError) as caught:
        bind(**fields)

    [error] = caught.value.errors()
    assert error["loc"] == (field,)
    assert message in error["msg"]


def test_country_and_label_are_tidied():
    cmd = bind(did="0871234567", country=" ie ", label="  Main line ")

    assert (cmd.country, cmd.label) == ("IE", "Main line")


def test_national_significant_number_and_display():
    assert national_significant("+353871234567") == "871234567"
    assert national_significant("+390612345678") == "0612345678"  # Italy keeps its 0
    assert international("+353871234567") == "+353 87 123 4567"
    assert international("+14155550100") == "+1 415-555-0100"


def a_number(**changes) -> PhoneNumber:
    fields = dict(number_id="num_1", tenant_id="tenant-a", e164="+353871234567",
                  national_number="871234567", label=None, trunk_id="trk_1", extension="1000",
                  agent_id="agt_1", created_at=datetime(2025, 3, 1, tzinfo=timezone.utc))
    return PhoneNumber(**{**fields, **changes})


def test_the_routing_in_words():
    receptionist = NumberRouting(a_number(), a_trunk(), an_agent())
    media = NumberRouting(a_number(), a_trunk(), an_agent(kind=AgentKind.MEDIA_STREAM))

    assert receptionist.description == (
        "Calls to +353 87 123 4567 reach extension 1000 on pbx.example.com and are answered by "
        "Reception (receptionist)")
    assert media.description.endswith("answered by Reception (media-stream agent)")


def test_the_routing_says_what_happens_once_the_agent_or_trunk_is_gone():
    no_agent = NumberRouting(a_number(), a_trunk(), None).description
    no_trunk = NumberRouting(a_number(), None, None).description

    assert no_agent.startswith("Calls to +353 87 123 4567 reach extension 1000 on "
                               "pbx.example.com but are rejected")
    assert no_trunk.startswith("Calls to +353 87 123 4567 are not answered")


def test_a_national_did_is_read_in_the_default_country_given_as_context():
    body = {**IDS, "did": "087 123 4567"}
    context = {"default_country": "IE"}

    assert BindPbxExtension.model_validate(body, context=context).did == "+353871234567"
    # An explicit country wins; an international number needs neither.
    assert BindPbxExtension.model_validate({**body, "did": "020 7946 0958", "country": "GB"},
                                           context=context).did == "+442079460958"
    assert BindPbxExtension.model_validate({**body, "did": "+1 415 555 0100"},
                                           context=context).did == "+14155550100"
