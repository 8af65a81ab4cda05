"""The edge-events handler: SQS event source with partial batch failures, sane limits, and a
Docker-free bundle that holds the code and Lambda-compatible dependencies."""

from __future__ import annotations

import importlib

from infra.cdk.stacks.functions import BATCH_SIZE, EDGE_EVENTS

from .wheels import incompatible_with_lambda


def _handler(env) -> dict:
    return env.json("Functions")["Resources"][env.logical_id(env.app.functions.edge_events)]


def test_the_handler_consumes_the_queue_reporting_batch_item_failures(env):
    (mapping,) = env.resources("Functions", "AWS::Lambda::EventSourceMapping").values()
    p = mapping["Properties"]
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["BatchSize"] == BATCH_SIZE
    assert 0 < p["MaximumBatchingWindowInSeconds"] <= 5
    assert p["ScalingConfig"]["MaximumConcurrency"] == env.settings.handler_max_concurrency
    assert "Messaging" in p["EventSourceArn"]["Fn::ImportValue"]


def test_the_handler_times_out_well_within_the_visibility_timeout(env):
    p = _handler(env)["Properties"]
    assert p["Timeout"] * 6 <= EDGE_EVENTS.visibility_timeout
    assert p["Runtime"] == "python3.11"
    assert p.get("ReservedConcurrentExecutions") == env.settings.handler_reserved_concurrency


def test_the_handler_entry_point_exists():
    p_handler = "functions.edge_events.handler.lambda_handler"
    module, attribute = p_handler.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute))


def test_the_bundle_holds_the_code_and_lambda_compatible_dependencies(synthesized):
    env = synthesized["dev"]
    p = _handler(env)["Properties"]
    assert p["Handler"] == "functions.edge_events.handler.lambda_handler"
    asset = env.outdir / f"asset.{p['Code']['S3Key'].removesuffix('.zip')}"
    for path in ("functions/edge_events/handler.py", "smartalex/service_layer/edge_events.py",
                 "smartalex/adapters/dynamodb/models.py"):
        assert (asset / path).is_file(), path
    for package in ("pydantic_core", "pynamodb", "aws_lambda_powertools", "rapidfuzz"):
        assert (asset / package).is_dir(), package
    assert incompatible_with_lambda(asset) == []
