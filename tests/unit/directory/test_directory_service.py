"""Directory use cases against in-memory ports."""

from __future__ import annotations

import pytest

from smartalex.domain.directory import DirectoryEntry, Verdict
from smartalex.domain.directory_commands import (
    MAX_ENTRIES,
    CreateDirectoryEntry,
    DeleteDirectoryEntry,
    ReplaceDirectoryEntry,
    ResolveRequest,
)
from smartalex.domain.errors import Conflict, NotFound
from smartalex.service_layer.directory import (
    add_entry,
    list_entries,
    remove_entry,
    replace_entry,
    resolve_request,
)

from ..core.fakes import FakeTrunkRepository, a_trunk
from .fakes import FakeDirectoryRepository

TENANT, OTHER, TRUNK = "tenant-a", "tenant-b", "trk_1"


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    repo = FakeTrunkRepository()
    repo.add(a_trunk(TRUNK, TENANT))
    return repo


@pytest.fixture
def directory(trunks) -> FakeDirectoryRepository:
    return FakeDirectoryRepository(trunks)


def create(extension="215", display_name="Sarah Murphy", aliases=("billing",), tenant=TENANT):
    return CreateDirectoryEntry(tenant_id=tenant, trunk_id=TRUNK, extension=extension,
                                display_name=display_name, aliases=list(aliases))


def ports(trunks, directory):
    return {"trunks": trunks, "directory": directory}


def test_an_added_entry_is_listed(trunks, directory):
    entry = add_entry(create(), **ports(trunks, directory))

    assert entry == DirectoryEntry("215", "Sarah Murphy", ("billing",))
    assert list_entries(TENANT, TRUNK, **ports(trunks, directory)) == [entry]
    assert directory.versions[TRUNK] == 1


def test_entries_are_listed_in_numeric_extension_order(trunks, directory):
    for ext in ("1000", "215", "100", "sales"):
        add_entry(create(ext), **ports(trunks, directory))

    listed = list_entries(TENANT, TRUNK, **ports(trunks, directory))

    assert [e.extension for e in listed] == ["100", "215", "1000", "sales"]


def test_adding_a_listed_extension_again_is_a_conflict(trunks, directory):
    add_entry(create(), **ports(trunks, directory))

    with pytest.raises(Conflict, match="Extension 215 is already in this trunk's directory"):
        add_entry(create(display_name="Someone Else"), **ports(trunks, directory))


def test_replace_creates_then_replaces_the_whole_entry(trunks, directory):
    cmd = ReplaceDirectoryEntry(tenant_id=TENANT, trunk_id=TRUNK, extension="215",
                                display_name="Sarah Murphy", aliases=["billing"])
    replace_entry(cmd, **ports(trunks, directory))
    replace_entry(cmd.model_copy(update={"display_name": "Sarah Murphy-Chen", "aliases": []}),
                  **ports(trunks, directory))

    assert directory.list(TRUNK) == [DirectoryEntry("215", "Sarah Murphy-Chen", ())]
    assert directory.versions[TRUNK] == 2


def test_remove_deletes_and_an_unlisted_extension_is_not_found(trunks, directory):
    add_entry(create(), **ports(trunks, directory))
    remove = DeleteDirectoryEntry(tenant_id=TENANT, trunk_id=TRUNK, extension="215")

    remove_entry(remove, **ports(trunks, directory))

    assert directory.list(TRUNK) == []
    with pytest.raises(NotFound, match="Extension 215 is not in"):
        remove_entry(remove, **ports(trunks, directory))


def test_every_use_case_reports_another_tenants_trunk_as_not_found(trunks, directory):
    add_entry(create(), **ports(trunks, directory))
    calls = [
        lambda: list_entries(OTHER, TRUNK, **ports(trunks, directory)),
        lambda: add_entry(create("216", tenant=OTHER), **ports(trunks, directory)),
        lambda: replace_entry(ReplaceDirectoryEntry(
            tenant_id=OTHER, trunk_id=TRUNK, extension="215", display_name="X"),
            **ports(trunks, directory)),
        lambda: remove_entry(DeleteDirectoryEntry(tenant_id=OTHER, trunk_id=TRUNK,
                                                  extension="215"), **ports(trunks, directory)),
        lambda: resolve_request(ResolveRequest(tenant_id=OTHER, trunk_id=TRUNK, text="billing"),
                                **ports(trunks, directory)),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert directory.list(TRUNK) == [DirectoryEntry("215", "Sarah Murphy", ("billing",))]
    assert directory.versions[TRUNK] == 1


def test_a_full_directory_refuses_new_extensions_but_accepts_replacements(trunks, directory):
    directory.entries[TRUNK] = {str(k): DirectoryEntry(str(k), f"Person {k}")
                                for k in range(MAX_ENTRIES)}

    with pytest.raises(Conflict, match="already has 1,000 entries"):
        add_entry(create("5000"), **ports(trunks, directory))
    with pytest.raises(Conflict, match="already has 1,000 entries"):
        replace_entry(ReplaceDirectoryEntry(tenant_id=TENANT, trunk_id=TRUNK, extension="5000",
                                            display_name="New"), **ports(trunks, directory))
    replace_entry(ReplaceDirectoryEntry(tenant_id=TENANT, trunk_id=TRUNK, extension="7",
                                        display_name="Renamed"), **ports(trunks, directory))
    assert len(directory.list(TRUNK)) == MAX_ENTRIES


def test_resolve_matches_against_the_trunks_current_directory(trunks, directory):
    add_entry(create(), **ports(trunks, directory))
    request = ResolveRequest(tenant_id=TENANT, trunk_id=TRUNK, text="I was charged twice")

    assert resolve_request(request, **ports(trunks, directory)).match.extension == "215"

    remove_entry(DeleteDirectoryEntry(tenant_id=TENANT, trunk_id=TRUNK, extension="215"),
                 **ports(trunks, directory))
    assert resolve_request(request, **ports(trunks, directory)).verdict is Verdict.NO_MATCH
