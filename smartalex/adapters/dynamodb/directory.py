"""DirectoryRepository on DynamoDB: one item per (trunk, extension).

Every write is a transaction with `ADD directory_version 1` on the trunk item, conditional on
the trunk existing (and, for puts, belonging to the tenant), so an entry never outlives or
precedes its trunk by a write and an edge that sees the same version has the same directory.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...domain.directory import DirectoryEntry, by_extension
from ...domain.errors import Conflict, NotFound
from ...service_layer.ports import DirectoryRepository
from .conditions import is_conditional_failure
from .models import DirectoryEntryModel, TrunkModel

DUPLICATE = "Extension {ext} is already in this trunk's directory."
ABSENT = "Extension {ext} is not in this trunk's directory."
NO_TRUNK = "No trunk {trunk_id}."


def to_domain(item: DirectoryEntryModel) -> DirectoryEntry:
    return DirectoryEntry(item.extension, item.display_name, tuple(item.aliases or ()))


def _failed(exc: TransactWriteError) -> tuple[bool, bool]:
    """Whether (the entry's, the trunk's) condition failed; re-raise anything else."""
    if not is_conditional_failure(exc):
        raise exc
    reasons = list(getattr(exc, "cancellation_reasons", None) or [])[:2]
    entry, trunk = [r is not None and r.code == "ConditionalCheckFailed"
                    for r in reasons + [None] * (2 - len(reasons))]
    return entry, trunk


class DynamoDirectoryRepository(DirectoryRepository):
    def __init__(self, connection: Connection | None = None):
        self._connection = connection or Connection(region=DirectoryEntryModel.Meta.region)

    def list(self, trunk_id: str) -> list[DirectoryEntry]:
        items = DirectoryEntryModel.query(trunk_id, consistent_read=True)
        return sorted((to_domain(i) for i in items), key=by_extension)

    def put(self, tenant_id: str, trunk_id: str, entry: DirectoryEntry, *, create: bool) -> None:
        item = DirectoryEntryModel(
            trunk_id, entry.extension, tenant_id=tenant_id, display_name=entry.display_name,
            aliases=list(entry.aliases), updated_at=datetime.now(timezone.utc))
        new = DirectoryEntryModel.extension.does_not_exist() if create else None
        owned = TrunkModel.trunk_id.exists() & (TrunkModel.tenant_id == tenant_id)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(item, condition=new)
                tx.update(TrunkModel(trunk_id), actions=[TrunkModel.directory_version.add(1)],
                          condition=owned)
        except TransactWriteError as exc:
            entry_failed, trunk_failed = _failed(exc)
            if trunk_failed:   # absent, or another tenant's: the same to the caller
                raise NotFound(NO_TRUNK.format(trunk_id=trunk_id)) from exc
            raise Conflict(DUPLICATE.format(ext=entry.extension)) from exc

    def remove_all(self, trunk_id: str) -> None:
        keys = DirectoryEntryModel.query(trunk_id, attributes_to_get=["trunk_id", "extension"])
        with DirectoryEntryModel.batch_write() as batch:
            for item in keys:
                batch.delete(item)

    def delete(self, trunk_id: str, extension: str) -> None:
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.delete(DirectoryEntryModel(trunk_id, extension),
                          condition=DirectoryEntryModel.extension.exists())
                tx.update(TrunkModel(trunk_id), actions=[TrunkModel.directory_version.add(1)],
                          condition=TrunkModel.trunk_id.exists())
        except TransactWriteError as exc:
            _, trunk_failed = _failed(exc)
            if trunk_failed:
                raise NotFound(NO_TRUNK.format(trunk_id=trunk_id)) from exc
            raise NotFound(ABSENT.format(ext=extension)) from exc
