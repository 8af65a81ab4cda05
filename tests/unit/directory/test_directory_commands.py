"""Directory entry commands: trimming, de-duplication and the limits, field by field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from smartalex.domain.directory_commands import (
    CreateDirectoryEntry,
    DeleteDirectoryEntry,
    ReplaceDirectoryEntry,
    ResolveRequest,
)


def create(**fields) -> CreateDirectoryEntry:
    values = dict(tenant_id="tenant-a", trunk_id="trk_1", extension="215",
                  display_name="Sarah Murphy")
    values.update(fields)
    return CreateDirectoryEntry(**values)


def rejection(**fields) -> tuple[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        create(**fields)
    error = caught.value.errors(include_url=False)[0]
    return error["loc"], error["msg"]


def test_fields_are_trimmed_and_aliases_default_to_none():
    cmd = create(extension=" 215 ", display_name="  Sarah   Murphy ")

    assert (cmd.extension, cmd.display_name, cmd.aliases) == ("215", "Sarah Murphy", [])


def test_aliases_are_trimmed_deduplicated_ignoring_case_and_empty_ones_dropped():
    cmd = create(aliases=[" Billing ", "billing", "", "   ", "front  desk", "BILLING", "accounts"])

    assert cmd.aliases == ["Billing", "front desk", "accounts"]
    assert cmd.entry().aliases == ("Billing", "front desk", "accounts")


def test_twenty_aliases_are_fine_and_duplicates_do_not_count():
    assert len(create(aliases=[f"alias {k}" for k in range(20)] + ["ALIAS 1"]).aliases) == 20


@pytest.mark.parametrize("fields, loc, message", [
    ({"extension": ""}, ("extension",), "is required"),
    ({"extension": "2 15"}, ("extension",), "may contain only"),
    ({"extension": "215@pbx"}, ("extension",), "may contain only"),
    ({"extension": "1" * 33}, ("extension",), "at most 32 characters"),
    ({"extension": 215}, ("extension",), "valid string"),
    ({"display_name": "   "}, ("display_name",), "is required"),
    ({"display_name": "x" * 65}, ("display_name",), "at most 64 characters"),
    ({"display_name": "Sarah\nMurphy"}, ("display_name",), "control characters"),
    ({"aliases": ["x" * 65]}, ("aliases",), "at most 64 characters (alias 1 has 65)"),
    ({"aliases": [f"a{k}" for k in range(21)]}, ("aliases",), "at most 20 different aliases"),
    ({"aliases": "billing"}, ("aliases",), "valid list"),
    ({"aliases": ["billing", 7]}, ("aliases", 1), "valid string"),
    ({"colour": "red"}, ("colour",), "Extra inputs"),
])
def test_each_field_is_checked(fields, loc, message):
    got_loc, got_message = rejection(**fields)

    assert got_loc == loc and message in got_message


def test_a_display_name_of_exactly_64_characters_is_fine():
    assert len(create(display_name="x" * 64).display_name) == 64


def test_required_fields():
    with pytest.raises(ValidationError) as caught:
        CreateDirectoryEntry(tenant_id="t", trunk_id="k")

    assert {e["loc"][0] for e in caught.value.errors()} == {"extension", "display_name"}


def test_replace_and_delete_check_the_extension_too():
    with pytest.raises(ValidationError):
        ReplaceDirectoryEntry(tenant_id="t", trunk_id="k", extension="a:b", display_name="X")
    with pytest.raises(ValidationError):
        DeleteDirectoryEntry(tenant_id="t", trunk_id="k", extension="")


def test_a_resolve_request_may_be_empty_but_not_a_transcript():
    assert ResolveRequest(tenant_id="t", trunk_id="k", text="").text == ""
    with pytest.raises(ValidationError):
        ResolveRequest(tenant_id="t", trunk_id="k", text="x" * 1001)
    with pytest.raises(ValidationError):
        ResolveRequest(tenant_id="t", trunk_id="k", text=None)
