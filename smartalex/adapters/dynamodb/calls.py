"""CallRecordRepository on DynamoDB: one item per call, kept 30 days.

Items are keyed (trunk_id, `<started_at>#<call_id>`) (see timeline.py), so storing a call is a
conditional put on that key: SQS redelivering `call.ended` stores nothing the second time.
The `line-index` GSI (line_key, sort_key) answers the same query for one line of the trunk
(`domain.call.extension_line`, later a bound DID's line).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ...domain.call import CallOutcome, CallRecord, Party
from ...service_layer.ports import CallRecordRepository
from .conditions import save_new
from .models import CallRecordModel
from .timeline import sort_key, stamp, utc

RETENTION = timedelta(days=30)  # DynamoDB's TTL deletes the item some time after expires_at


def to_domain(item: CallRecordModel) -> CallRecord:
    return CallRecord(
        call_id=item.call_id, tenant_id=item.tenant_id, trunk_id=item.trunk_id,
        extension=item.extension, caller=Party(item.caller_number, item.caller_name),
        dialled=item.dialled, agent_id=item.agent_id, started_at=item.started_at,
        answered_at=item.answered_at, ended_at=item.ended_at, outcome=CallOutcome(item.outcome),
        transfer_target=item.transfer_target, sip_call_id=item.sip_call_id,
    )


class DynamoCallRecordRepository(CallRecordRepository):
    def add(self, record: CallRecord, line_key: str) -> bool:
        item = CallRecordModel(
            record.trunk_id, sort_key(record.started_at, record.call_id), line_key=line_key,
            call_id=record.call_id, tenant_id=record.tenant_id, extension=record.extension,
            caller_number=record.caller.number, caller_name=record.caller.name,
            dialled=record.dialled, agent_id=record.agent_id, started_at=record.started_at,
            answered_at=record.answered_at, ended_at=record.ended_at,
            outcome=record.outcome.value, transfer_target=record.transfer_target,
            sip_call_id=record.sip_call_id, expires_at=utc(record.ended_at) + RETENTION,
        )
        return save_new(item, CallRecordModel.sort_key.does_not_exist())

    def recent(self, trunk_id: str, since: datetime, limit: int,
               line_key: str | None = None) -> list[CallRecord]:
        if limit < 1:
            return []
        window = CallRecordModel.sort_key >= stamp(since)
        if line_key is None:
            items = CallRecordModel.query(trunk_id, window, scan_index_forward=False,
                                          limit=limit)
        else:
            # A line key starts with its trunk's id, so the index never leaks another trunk's
            # calls; a mismatch is a programming error, not an empty answer.
            if not line_key.startswith(f"{trunk_id}#"):
                raise ValueError(f"line {line_key!r} is not a line of trunk {trunk_id!r}")
            items = CallRecordModel.line_index.query(line_key, window, scan_index_forward=False,
                                                     limit=limit)
        return [to_domain(i) for i in items]
