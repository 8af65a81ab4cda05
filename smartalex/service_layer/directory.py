"""Directory use cases behind the API: list, add, replace, remove entries, and resolve what a
caller said. Each checks first that the trunk is the tenant's (NotFound otherwise)."""

from __future__ import annotations

from functools import lru_cache

from ..domain.directory import DirectoryEntry, Resolution
from ..domain.directory_commands import (
    CreateDirectoryEntry,
    DeleteDirectoryEntry,
    ReplaceDirectoryEntry,
    ResolveRequest,
)
from ..domain.matching import Matcher
from ..domain.quotas import DEFAULT_QUOTAS, Quotas
from .ports import DirectoryRepository, TrunkRepository


def list_entries(tenant_id: str, trunk_id: str, *, trunks: TrunkRepository,
                 directory: DirectoryRepository) -> list[DirectoryEntry]:
    trunks.get(tenant_id, trunk_id)
    return directory.list(trunk_id)


def add_entry(cmd: CreateDirectoryEntry, *, trunks: TrunkRepository,
              directory: DirectoryRepository, quotas: Quotas = DEFAULT_QUOTAS) -> DirectoryEntry:
    """Conflict if the extension is listed already, QuotaExceeded if the directory is full."""
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    entry = cmd.entry()
    _check_room(directory.list(cmd.trunk_id), entry.extension, quotas)
    directory.put(cmd.tenant_id, cmd.trunk_id, entry, create=True)
    return entry


def replace_entry(cmd: ReplaceDirectoryEntry, *, trunks: TrunkRepository,
                  directory: DirectoryRepository,
                  quotas: Quotas = DEFAULT_QUOTAS) -> DirectoryEntry:
    """PUT: create the entry or replace it whole (a new extension counts against the quota)."""
    trunks.get(cmd.tenant_id, cmd.trunk_id)
    entry = cmd.entry()
    _check_room(directory.list(cmd.trunk_id), entry.extension, quotas)
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


def _check_room(current: list[DirectoryEntry], extension: str, quotas: Quotas) -> None:
    # Counted before writing (quotas.py says why that is enough): replacing an entry that is
    # listed already needs no room.
    if all(e.extension != extension for e in current):
        quotas.check_directory(len(current))
