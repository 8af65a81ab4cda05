"""The local endpoint's SQS computes a queue's attributes only when read
(devstack/moto_server.py lazy_queue_attributes): what every caller sees is unchanged."""

from __future__ import annotations

import boto3
from moto import mock_aws


def attributes_and_a_round_trip() -> tuple[dict, list[str]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="events", Attributes={
        "VisibilityTimeout": "7", "RedrivePolicy": f'{{"deadLetterTargetArn": "{arn}", '
                                                   f'"maxReceiveCount": "3"}}'})["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    attributes["just-one"] = one["Attributes"]
    attributes.pop("CreatedTimestamp"), attributes.pop("LastModifiedTimestamp")
    attributes.pop("QueueArn")
    return attributes, sorted(m["Body"] for m in received)


def test_queue_attributes_and_messages_are_the_same_computed_lazily(in_process_aws):
    from moto.sqs.models import Queue

    from devstack.moto_server import lazy_queue_attributes

    original = Queue.__dict__["attributes"]
    with mock_aws():
        eagerly = attributes_and_a_round_trip()
    lazy_queue_attributes()
    try:
        with mock_aws():
            lazily = attributes_and_a_round_trip()
    finally:
        Queue.attributes = original
    assert lazily == eagerly
    assert lazily[0]["just-one"] == {"VisibilityTimeout": "7"}
    assert lazily[0]["ApproximateNumberOfMessagesNotVisible"] == "3"
    assert "RedrivePolicy" in lazily[0]
