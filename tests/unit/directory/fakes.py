"""An in-memory DirectoryRepository with the DynamoDB adapter's semantics: writes need the
trunk to exist (and, for puts, to be the tenant's) and bump its directory version."""

from __future__ import annotations

from collections import Counter

from smartalex.domain.directory import DirectoryEntry, by_extension
from smartalex.domain.errors import Conflict, NotFound
from smartalex.service_layer.ports import DirectoryRepository

from ..core.fakes import FakeTrunkRepository


class FakeDirectoryRepository(DirectoryRepository):
    def __init__(self, trunks: FakeTrunkRepository) -> None:
        self.trunks = trunks
        self.entries: dict[str, dict[str, DirectoryEntry]] = {}
        self.versions: Counter[str] = Counter()

    def list(self, trunk_id: str) -> list[DirectoryEntry]:
        return sorted(self.entries.get(trunk_id, {}).values(), key=by_extension)

    def put(self, tenant_id: str, trunk_id: str, entry: DirectoryEntry, *, create: bool) -> None:
        trunk = self.trunks.find(trunk_id)
        if trunk is None or trunk.tenant_id != tenant_id:
            raise NotFound(f"No trunk {trunk_id}.")
        listed = self.entries.setdefault(trunk_id, {})
        if create and entry.extension in listed:
            raise Conflict(f"Extension {entry.extension} is already in this trunk's directory.")
        listed[entry.extension] = entry
        self.versions[trunk_id] += 1

    def remove_all(self, trunk_id: str) -> None:
        self.entries.pop(trunk_id, None)

    def delete(self, trunk_id: str, extension: str) -> None:
        if self.trunks.find(trunk_id) is None:
            raise NotFound(f"No trunk {trunk_id}.")
        if extension not in self.entries.get(trunk_id, {}):
            raise NotFound(f"Extension {extension} is not in this trunk's directory.")
        del self.entries[trunk_id][extension]
        self.versions[trunk_id] += 1
