"""ErrorRecordRepository on DynamoDB: phone-related errors for Diagnostics, kept 7 days.

Keyed (trunk_id, `<at>#<error_id>`) (see timeline.py); the handlers derive `error_id` from the
message that reported the error, so a redelivered message stores nothing the second time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.errors_log import ErrorRecord, ErrorSource
from ...service_layer.ports import ErrorRecordRepository
from .conditions import save_new
from .models import ErrorRecordModel
from .timeline import sort_key, stamp, utc

RETENTION = timedelta(days=7)  # DynamoDB's TTL deletes the item some time after expires_at


def to_domain(item: ErrorRecordModel) -> ErrorRecord:
    return ErrorRecord(
        error_id=item.error_id, tenant_id=item.tenant_id, trunk_id=item.trunk_id,
        source=ErrorSource(item.source), message=item.message, hint=item.hint, at=item.at,
        call_id=item.call_id,
    )


class DynamoErrorRecordRepository(ErrorRecordRepository):
    def add(self, record: ErrorRecord) -> bool:
        item = ErrorRecordModel(
            record.trunk_id, sort_key(record.at, record.error_id), error_id=record.error_id,
            tenant_id=record.tenant_id, source=record.source.value, message=record.message,
            hint=record.hint, call_id=record.call_id, at=record.at,
            expires_at=utc(record.at) + RETENTION,
        )
        return save_new(item, ErrorRecordModel.sort_key.does_not_exist())

    def recent(self, trunk_id: str, since: datetime, limit: int) -> list[ErrorRecord]:
        if limit < 1:
            return []
        items = ErrorRecordModel.query(trunk_id, ErrorRecordModel.sort_key >= stamp(since),
                                       scan_index_forward=False, limit=limit)
        return [to_domain(i) for i in items]
