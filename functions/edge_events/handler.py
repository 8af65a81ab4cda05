"""Lambda entry point for the edge-events SQS queue.

Partial batch failures: a record that raises is reported in `batchItemFailures` and retried by
SQS; after the queue's maxReceiveCount it lands in the DLQ (poison message). The event source
mapping must have ReportBatchItemFailures (infra/cdk). Stale and duplicate messages are not
failures: the store applies a message only if it is newer than what it holds.
"""

from __future__ import annotations

from datetime import datetime, timezone

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smartalex.adapters.queues import QUEUES
from smartalex.bootstrap import shared as services
from smartalex.bootstrap import use_shared as use_services
from smartalex.domain.errors_log import ErrorRecord, ErrorSource
from smartalex.domain.messages import Envelope
from smartalex.service_layer import edge_events

__all__ = ["lambda_handler", "record_handler", "services", "use_services"]

logger = Logger(service="edge-events")
processor = BatchProcessor(event_type=EventType.SQS)
EDGE_EVENTS = next(spec for spec in QUEUES if spec.key == "edge_events")
_RECORD_KEYS = ("tenant_id", "trunk_id", "edge", "message_type")


def record_handler(record: SQSRecord) -> None:
    logger.remove_keys(list(_RECORD_KEYS))
    logger.append_keys(sqs_message_id=record.message_id)
    envelope = None
    try:
        envelope = Envelope.from_json(record.body)
        logger.append_keys(tenant_id=envelope.tenant, trunk_id=envelope.trunk,
                           edge=envelope.edge, message_type=envelope.type)
        applied = edge_events.handle(envelope, services=services())
    except Exception as exc:
        receives = int(record.attributes.approximate_receive_count or 1)
        logger.exception("edge message not processed; SQS retries it, then moves it to the DLQ",
                         extra={"receive_count": receives})
        if envelope is not None and receives >= EDGE_EVENTS.max_receive_count:
            _record_lost_message(envelope, record.message_id, exc)
        raise
    logger.info("edge message handled", extra={"applied": applied, "order": envelope.order})


def _record_lost_message(envelope: Envelope, message_id: str, exc: Exception) -> None:
    """Its last try: tell the trunk's Diagnostics what was lost (best effort)."""
    try:
        services().errors.add(ErrorRecord(
            error_id=f"queue:{message_id}", tenant_id=envelope.tenant, trunk_id=envelope.trunk,
            source=ErrorSource.QUEUE, at=datetime.now(timezone.utc),
            message=f"An edge report ({envelope.type}) could not be processed and was moved "
                    f"to the dead-letter queue: {type(exc).__name__}.",
            hint="Operators: inspect the edge-events DLQ and redrive it once the cause is fixed."))
    except Exception:
        logger.exception("could not record the lost message as an error record")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler,
                                    processor=processor, context=context)
