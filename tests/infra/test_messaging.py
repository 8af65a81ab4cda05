"""Queues from `QUEUES`, each with its DLQ, the same redrive settings, SSE, and a DLQ alarm."""

from __future__ import annotations

from smartalex.adapters.queues import QUEUES


def test_every_queue_has_its_dlq_with_the_specs_redrive_settings(env):
    resources = env.json("Messaging")["Resources"]
    for spec in QUEUES:
        queue = resources[env.logical_id(env.app.messaging.queues[spec.key])]["Properties"]
        dlq_id = env.logical_id(env.app.messaging.dead_letter_queues[spec.key])
        assert queue["VisibilityTimeout"] == spec.visibility_timeout
        assert queue["MessageRetentionPeriod"] == spec.retention_seconds
        assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                                          "maxReceiveCount": spec.max_receive_count}
        assert queue["SqsManagedSseEnabled"] is True
        assert resources[dlq_id]["Properties"]["SqsManagedSseEnabled"] is True


def test_every_dead_letter_queue_has_a_depth_alarm_that_notifies(env):
    resources = env.json("Messaging")["Resources"]
    dlq_ids = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
               for q in resources.values()
               if q["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in q["Properties"]}
    assert len(dlq_ids) == len(QUEUES)
    alarmed = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        p = resource["Properties"]
        if p.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            (dimension,) = p["Dimensions"]
            alarmed[dimension["Value"]["Fn::GetAtt"][0]] = p
    assert set(alarmed) == dlq_ids
    for p in alarmed.values():
        assert p["Namespace"] == "AWS/SQS"
        assert p["ComparisonOperator"] == "GreaterThanThreshold" and p["Threshold"] == 0
        assert p["AlarmActions"], "a DLQ alarm must notify the alarm topic"


def test_queues_refuse_plain_http(env):
    policies = env.resources("Messaging", "AWS::SQS::QueuePolicy")
    denied = [s for p in policies.values()
              for s in p["Properties"]["PolicyDocument"]["Statement"]
              if s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}]
    assert len(denied) == 2 * len(QUEUES)
