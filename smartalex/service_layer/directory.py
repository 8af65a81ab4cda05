"""Directory use cases behind the API: list, add, replace, remove entries, and resolve what a
caller said. Each checks first that the trunk is the tenant's (NotFound otherwise)."""

from __future__ import annotations

from functools import lru_cache

from ..domain.directory import DirectoryEntry, Resolution
from ..domain.directory_commands import (
    MAX_ENTRIES,
    CreateDirectoryEntry,
    DeleteDirectoryEntry,
    ReplaceDirectoryEntry,
    ResolveRequest,
)
from ..domain.errors import Conflict
from ..domain.matching import Matcher
from .ports import DirectoryRepository, TrunkRepository

FULL = (f"This trunk's directory already has {MAX_ENTRIES:,} entries, the most it can hold; "
        "remove one first.")


def list_entries(tenant_id: str, trunk_id: str, *, trunks: TrunkRepository,
                 directory: DirectoryRepository) -> list[DirectoryEntry]:
    trunks.get(tenant_id, trunk_id)
    return directory.list(trunk_id)


def add_entry(cmd: CreateDirectoryEntry, *, trunks: TrunkRepository,
              directory: DirectoryRepository) -> DirectoryEntry:
    """Conflict if the extension is listed already or the directory is full."""
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    entry = cmd.entry()
    _check_room(directory.list(cmd.trunk_id), entry.extension)
    directory.put(cmd.tenant_id, cmd.trunk_id, entry, create=True)
    return entry


def replace_entry(cmd: ReplaceDirectoryEntry, *, trunks: TrunkRepository,
                  directory: DirectoryRepository) -> DirectoryEntry:
    """PUT: create the entry or replace it whole."""
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    entry = cmd.entry()
    _check_room(directory.list(cmd.trunk_id), entry.extension)
    directory.put(cmd.tenant_id, cmd.trunk_id, entry, create=False)
    return entry


def remove_entry(cmd: DeleteDirectoryEntry, *, trunks: TrunkRepository,
                 directory: DirectoryRepository) -> None:
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    directory.delete(cmd.trunk_id, cmd.extension)


def resolve_request(cmd: ResolveRequest, *, trunks: TrunkRepository,
                    directory: DirectoryRepository) -> Resolution:
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    return matcher_for(tuple(directory.list(cmd.trunk_id))).resolve(cmd.text)


@lru_cache(maxsize=16)
def matcher_for(entries: tuple[DirectoryEntry, ...]) -> Matcher:
    """Matchers of recently seen directories: building one for 1,000 entries takes tens of ms,
    and a warm Lambda or an edge resolves against the same few directories again and again."""
    return Matcher(entries)


def _check_room(current: list[DirectoryEntry], extension: str) -> None:
    # Counted before writing, so two adds racing at 999 entries can reach 1,001: the limit
    # protects matching speed and item sizes, not an invariant, so that is acceptable.
    if len(current) >= MAX_ENTRIES and all(e.extension != extension for e in current):
        raise Conflict(FULL)
