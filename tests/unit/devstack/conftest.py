"""Fixtures for the local endpoint's own unit tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def in_process_aws(monkeypatch):
    """moto's `mock_aws` in this process, reached by boto3 whatever the session set up: the
    integration tests point AWS_ENDPOINT_URL (and per-service variants) at the real local
    endpoint, and `mock_aws` does not intercept requests to a custom endpoint, so they would
    reach that endpoint, with IAM enforced, instead of the mock."""
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
