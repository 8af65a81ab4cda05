"""Publishing edge messages to SQS, and resolving queue URLs."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Iterable

from ..domain.messages import Envelope
from . import aws, names


@lru_cache(maxsize=None)
def queue_url(name: str) -> str:
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def edge_events_url() -> str:
    return os.environ.get("SMARTALEX_EDGE_EVENTS_QUEUE_URL") or queue_url(names.edge_events_queue())


class SqsPublisher:
    """Sends envelopes to the edge-events queue, ten per request."""

    def __init__(self, client: Any = None, url: str | None = None):
        self._client = client or aws.client("sqs")
        self._url = url or edge_events_url()

    def publish(self, envelopes: Iterable[Envelope]) -> None:
        batch = list(envelopes)
        for start in range(0, len(batch), 10):
            chunk = batch[start:start + 10]
            result = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "MessageBody": e.to_json(),
                          "MessageAttributes": {"type": {"DataType": "String",
                                                         "StringValue": e.type}}}
                         for i, e in enumerate(chunk)],
            )
            if result.get("Failed"):
                failed = ", ".join(f"{f['Code']}: {f.get('Message', '')}" for f in result["Failed"])
                raise RuntimeError(f"SQS refused {len(result['Failed'])} edge message(s): {failed}")
