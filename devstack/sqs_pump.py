"""Run SQS-triggered Lambda handlers locally: poll the queue, build the very event Lambda's
SQS event source would, call the handler, and delete what it did not report as failed.

Failed records stay on the queue, come back after the visibility timeout and, after the
queue's maxReceiveCount, move to its DLQ, exactly as with the real event source mapping
(configured with ReportBatchItemFailures).

The event source polls with the function's role, so the pump signs as the function: run it in a
process of its own with the function's keys in its environment (`python -m devstack pump`, what
`make run` does), or give it the function's identity when a test pumps by hand.
"""

from __future__ import annotations

import signal
import threading
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

from aws_lambda_powertools import Logger

from smartalex.adapters import aws

logger = Logger(service="devstack")
Handler = Callable[[dict, Any], dict]


@dataclass
class LocalContext:
    """The subset of the Lambda context object that powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""

    def __post_init__(self):
        self.invoked_function_arn = \
            f"arn:aws:lambda:{aws.region()}:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def lambda_event(messages: list[dict], queue_arn: str) -> dict:
    """The event shape documented for Lambda's SQS event source."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}),
        "messageAttributes": {k: {"stringValue": v.get("StringValue"), "binaryValue": None,
                                  "stringListValues": [], "binaryListValues": [],
                                  "dataType": v["DataType"]}
                              for k, v in m.get("MessageAttributes", {}).items()},
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": aws.region(),
    } for m in messages]}


class QueuePump:
    """Polls one queue and feeds one handler, in a background thread, until stopped.

    `identity` (a devstack.identities.Identity): the function's, for a pump driven by hand in a
    process that is not the function's own (pump_once then runs as it); None: this process's
    own credentials."""

    def __init__(self, queue_url: str, handler: Handler, function_name: str, batch_size: int = 10,
                 identity: Any = None):
        self.queue_url, self.handler, self.function_name = queue_url, handler, function_name
        self.batch_size = batch_size
        self._identity = identity
        with self._as_function():
            self._sqs = aws.client("sqs")
            self._arn = self._sqs.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name=f"pump-{function_name}", daemon=True)

    def _as_function(self):
        from .identities import acting_as

        return acting_as(self._identity) if self._identity else nullcontext()

    def start(self) -> "QueuePump":
        if self._identity:
            raise ValueError("a pump with an identity is driven by hand (pump_once); a pump "
                             "that runs by itself runs in the function's own process")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def run(self) -> None:
        """Pump until stop() (or SIGTERM in `python -m devstack pump`)."""
        while not self._stop.is_set():
            try:
                self.pump_once(wait_seconds=1)
            except Exception:
                logger.exception("local queue pump failed; polling again")
                self._stop.wait(1)

    def pump_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and run the handler on it; return how many records it handled."""
        with self._as_function():
            return self._pump_once(wait_seconds)

    def _pump_once(self, wait_seconds: int) -> int:
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds, AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.handler(lambda_event(messages, self._arn),
                                  LocalContext(self.function_name))
        except Exception:
            # As with Lambda: a handler that raises fails the whole batch (powertools raises
            # when every record failed); every message comes back after the visibility timeout.
            logger.exception("handler failed the whole batch", extra={"count": len(messages)})
            return len(messages)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        return len(messages)


def main() -> int:
    """`python -m devstack pump`: the edge-events function and its event source, in a process of
    their own that signs with the function's keys (from its environment), until SIGTERM."""
    from functions.edge_events.handler import lambda_handler
    from smartalex.adapters.sqs import edge_events_url

    pump = QueuePump(edge_events_url(), lambda_handler, "edge-events")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: pump.stop())
    pump.run()
    return 0
