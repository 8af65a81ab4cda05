"""The edge's own CloudWatch metrics (scaling and alarms in infra/cdk read these names).

Published with PutMetricData once a minute by the edge supervisor: ECS tasks on EC2 have no
Lambda-style EMF extraction from stdout.
"""

from __future__ import annotations

from typing import Any

from . import aws, names

NAMESPACE = "SmartAlex"
DIMENSION = "Stage"  # value: SMARTALEX_STAGE
# Trunks held / trunks the edge can hold (0..1).
CAPACITY_USED = "RegistrationCapacityUsed"
# (Trunks held + this edge's share of the trunks waiting for an edge) / trunks it can hold:
# registrations wanted over capacity, above 1 when trunks wait unregistered. Its fleet average
# is what the fleet wants over what it holds; scaling tracks it, and an alarm fires above 1.
REGISTRATION_DEMAND = "RegistrationDemand"
# Registration failures reported in the period (a burst fleet-wide raises an alarm).
REGISTRATION_FAILURES = "RegistrationFailures"
# SIP requests from outside the trunks' PBXs refused (403) or dropped in the period
# (edge/inbound_policy.py): a scan or a toll-fraud attempt shows here, not in Diagnostics.
INBOUND_REFUSED = "InboundRequestsRefused"


class CloudWatchMetrics:
    def __init__(self, client: Any = None):
        self._client = client or aws.client("cloudwatch")

    def publish(self, values: dict[str, tuple[float, str]]) -> None:
        """values: metric name → (value, unit)."""
        dimensions = [{"Name": DIMENSION, "Value": names.stage()}]
        self._client.put_metric_data(Namespace=NAMESPACE, MetricData=[
            {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": unit}
            for name, (value, unit) in values.items()])
