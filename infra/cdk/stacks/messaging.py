"""SQS queues and their dead-letter queues, from `smartalex.adapters.queues.QUEUES` (the same
specs the local bootstrap uses), each DLQ with an alarm on its depth."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from smartalex.adapters.queues import QUEUES, QueueSpec

from ..environments import Environment
from ..nag import acknowledge

# The longest SQS allows: a poison message waits two weeks for someone to look at it.
DLQ_RETENTION = Duration.days(14)


class MessagingStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment,
                 alarm_action: actions.SnsAction, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings = settings
        self._alarm_action = alarm_action
        # By QueueSpec.key, e.g. "edge_events".
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.dlq_alarms: dict[str, cloudwatch.Alarm] = {}
        for spec in QUEUES:
            self._create_queue(spec)

    def _create_queue(self, spec: QueueSpec) -> None:
        construct_id = "".join(part.title() for part in spec.key.split("_"))
        # SSE-SQS: encrypted at rest with no key to pay for or grant; nothing in these
        # messages is secret (SIP passwords never leave Secrets Manager).
        dlq = sqs.Queue(self, f"{construct_id}Dlq", retention_period=DLQ_RETENTION,
                        encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        queue = sqs.Queue(
            self, construct_id,
            visibility_timeout=Duration.seconds(spec.visibility_timeout),
            retention_period=Duration.seconds(spec.retention_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq,
                                                  max_receive_count=spec.max_receive_count),
        )
        acknowledge(dlq, "AwsSolutions-SQS3",
                    f"This queue is the dead-letter queue of {spec.key}; a DLQ has no DLQ.")
        alarm = cloudwatch.Alarm(
            self, f"{construct_id}DlqNotEmpty",
            alarm_description=f"Messages of {spec.key} failed {spec.max_receive_count} times "
                              "and wait in its dead-letter queue: read them, fix, redrive.",
            metric=dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"),
            threshold=0, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._alarm_action)
        alarm.add_ok_action(self._alarm_action)
        self.queues[spec.key] = queue
        self.dead_letter_queues[spec.key] = dlq
        self.dlq_alarms[spec.key] = alarm
