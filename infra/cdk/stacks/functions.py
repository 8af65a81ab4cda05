"""Queue-driven Lambda handlers (functions/): today the edge-events consumer."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import AssetHashType, BundlingOptions, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from smartalex.adapters.queues import QUEUES

from .. import contract
from ..bundling import REPO, PythonFunctionBundler
from ..environments import Environment
from ..nag import acknowledge
from .data import HANDLER_ACCESS, DataStack

EDGE_EVENTS = next(spec for spec in QUEUES if spec.key == "edge_events")
# AWS: give the queue a visibility timeout of at least 6x the function timeout, so that
# batches retried after throttling are not redelivered while still running. The handler does
# one conditional UpdateItem per message (milliseconds); 10 s is plenty for a batch of 10.
HANDLER_TIMEOUT = Duration.seconds(EDGE_EVENTS.visibility_timeout // 6)
# Registration status is what an admin watches right after saving a trunk: latency matters
# more than invocations. Up to 10 messages or 1 s, whichever comes first; 1 s still coalesces
# the burst of an edge restart (every trunk it held re-registers at once).
BATCH_SIZE = 10
MAX_BATCHING_WINDOW = Duration.seconds(1)


def python_code(*packages: str) -> lambda_.Code:
    """Our packages plus the Lambda runtime dependencies, bundled locally (no Docker)."""
    bundler = PythonFunctionBundler(packages)
    return lambda_.Code.from_asset(
        str(REPO / packages[0]),
        asset_hash_type=AssetHashType.CUSTOM, asset_hash=bundler.asset_hash(),
        # `image` is what CDK would fall back to if local bundling declined; ours never does.
        bundling=BundlingOptions(image=lambda_.Runtime.PYTHON_3_11.bundling_image,
                                 local=bundler),
    )


class FunctionsStack(Stack):
    def __init__(self, scope: Construct, id: str, *, settings: Environment,
                 data: DataStack, queues: Mapping[str, sqs.IQueue],
                 runtime_env: Mapping[str, str], **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.settings = settings
        self.edge_events = self._create_edge_events_handler(runtime_env)
        queue = queues[EDGE_EVENTS.key]
        self.edge_events.add_event_source(sources.SqsEventSource(
            queue,
            batch_size=BATCH_SIZE,
            max_batching_window=MAX_BATCHING_WINDOW,
            # The handler returns batchItemFailures (powertools BatchProcessor): only the
            # failed records are retried, and only they reach the DLQ after maxReceiveCount.
            report_batch_item_failures=True,
            # Caps pollers instead of letting Lambda throttle them: throttled receives would
            # count towards maxReceiveCount and push healthy messages to the DLQ.
            max_concurrency=settings.handler_max_concurrency,
        ))
        data.grant_access(self.edge_events, HANDLER_ACCESS)

    def _create_edge_events_handler(self, runtime_env: Mapping[str, str]) -> lambda_.Function:
        s = self.settings
        log_group = logs.LogGroup(self, "EdgeEventsLogs", retention=s.log_retention,
                                  removal_policy=s.removal_policy)
        # An explicit role: log writes scoped to this log group instead of the managed
        # AWSLambdaBasicExecutionRole (logs:* on every group).
        role = iam.Role(self, "EdgeEventsRole",
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        function = lambda_.Function(
            self, "EdgeEventsHandler",
            description="Applies edge messages (registration status) from the edge-events queue",
            # pyproject pins Python 3.11 (the pjsua2 wheel of the edge is cp311); the Lambdas
            # run the same domain core, so they stay on the same version.
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.X86_64,
            handler="functions.edge_events.handler.lambda_handler",
            code=python_code("functions", "smartalex"),
            memory_size=256,
            timeout=HANDLER_TIMEOUT,
            reserved_concurrent_executions=s.handler_reserved_concurrency,
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={
                **runtime_env,
                "POWERTOOLS_SERVICE_NAME": "edge-events",
                "POWERTOOLS_METRICS_NAMESPACE": contract.METRIC_NAMESPACE,
            },
        )
        acknowledge(function, "AwsSolutions-L1",
                    "Python 3.11 on purpose: the whole code base (and the edge's pjsua2 wheel) "
                    "is pinned to 3.11 in pyproject.toml; upgrade all runtimes together.")
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
                    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level "
                    "permissions; the only wildcard-resource statement of this role.")
        return function
