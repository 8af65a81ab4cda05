"""The SQS queues, defined once for the local bootstrap and the CDK stack."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from . import aws, names


@dataclass(frozen=True)
class QueueSpec:
    key: str
    name: Callable[[], str]
    env_var: str
    # A message that failed this many receives goes to the DLQ (poison message).
    max_receive_count: int = 5
    # Must exceed the consuming function's timeout (AWS requires visibility >= timeout).
    visibility_timeout: int = 60
    retention_seconds: int = 4 * 24 * 3600

    @property
    def dlq_name(self) -> str:
        return f"{self.name()}-dlq"


QUEUES = (
    QueueSpec("edge_events", names.edge_events_queue, "SMARTALEX_EDGE_EVENTS_QUEUE"),
)


def create_queues(visibility_timeout: int | None = None) -> dict[str, str]:
    """Create each queue and its DLQ with a redrive policy (idempotent); return key → URL.

    `visibility_timeout` lets the local stack retry failed messages sooner than in AWS.
    """
    sqs = aws.client("sqs")
    urls = {}
    for spec in QUEUES:
        dlq_url = sqs.create_queue(QueueName=spec.dlq_name,
                                   Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(spec.max_receive_count)}
        urls[spec.key] = sqs.create_queue(QueueName=spec.name(), Attributes={
            "VisibilityTimeout": str(visibility_timeout or spec.visibility_timeout),
            "MessageRetentionPeriod": str(spec.retention_seconds),
            "RedrivePolicy": json.dumps(redrive),
        })["QueueUrl"]
        urls[f"{spec.key}_dlq"] = dlq_url
    return urls
