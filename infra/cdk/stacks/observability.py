"""Where alarms go (one SNS topic per environment) and the fleet-level alarms on the metrics the
edge publishes. Alarms on a single resource live next to it (DLQs: messaging.py); log groups
are created by the stack that owns the code, with `Environment.log_retention`."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .. import contract
from ..environments import Environment


def edge_metric(settings: Environment, name: str, statistic: str,
                period: Duration = Duration.minutes(1)) -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace=contract.METRIC_NAMESPACE, metric_name=name,
                             dimensions_map={contract.METRIC_DIMENSION: settings.stage},
                             statistic=statistic, period=period)


class ObservabilityStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings = settings
        self.topic = self._create_topic()
        self.alarm_action = actions.SnsAction(self.topic)
        self._create_edge_alarms()

    def _create_topic(self) -> sns.Topic:
        # A customer-managed key: CloudWatch cannot publish to a topic encrypted with the
        # AWS-managed aws/sns key, whose policy does not let cloudwatch.amazonaws.com use it.
        key = kms.Key(self, "AlarmTopicKey", description="SmartAlex alarm topic",
                      enable_key_rotation=True, removal_policy=self.settings.removal_policy)
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": self.account}},
        ))
        topic = sns.Topic(self, "Alarms", display_name=f"SmartAlex {self.settings.name} alarms",
                          master_key=key, enforce_ssl=True)
        if self.settings.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.settings.alarm_email))
        return topic

    def alarm(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        alarm.add_alarm_action(self.alarm_action)
        alarm.add_ok_action(self.alarm_action)
        return alarm

    def _create_edge_alarms(self) -> None:
        s = self.settings
        # Failures are normal one by one (an admin typing a wrong password gets 401); a burst
        # across the fleet means an edge, network or AWS problem.
        self.alarm(cloudwatch.Alarm(
            self, "RegistrationFailures",
            alarm_description="SIP registrations are failing fleet-wide (edge metric "
                              f"{contract.REGISTRATION_FAILURES}); see the edge logs.",
            metric=edge_metric(s, contract.REGISTRATION_FAILURES, "Sum", Duration.minutes(5)),
            threshold=s.registration_failures_per_5min, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ))
        # Scaling (edge.py) keeps this near its target; above 1 trunks wait unregistered for
        # an edge (the fleet is at edge_max_tasks, or scaling lags). A dead edge's trunks wait
        # seconds: three 5-minute periods filter that out. Missing data = no edge reporting at
        # all: also an alarm.
        self.alarm(cloudwatch.Alarm(
            self, "EdgeFleetFull",
            alarm_description="Trunks wait unregistered for an edge with room (registrations "
                              "wanted exceed the fleet's capacity), or no edge reports: raise "
                              "edge_max_tasks or see why the fleet does not grow.",
            metric=edge_metric(s, contract.REGISTRATION_DEMAND, "Average", Duration.minutes(5)),
            threshold=1.0, evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        ))
