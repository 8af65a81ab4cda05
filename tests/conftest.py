"""Shared fixtures: a real local AWS endpoint (embedded moto server) for the whole session."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

# Nothing in the suite may reach a real AWS account.
os.environ.setdefault("SMARTALEX_STAGE", "test")
for _key, _value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                     "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ[_key] = _value


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def aws_endpoint():
    """An embedded moto server on a free loopback port, with every table and queue created."""
    from devstack.aws_endpoint import EmbeddedMoto, provision, use_endpoint

    server = EmbeddedMoto(port=free_port()).start()
    use_endpoint(server.url)
    queues = provision(queue_visibility_timeout=2)
    yield {"url": server.url, "queues": queues}
    server.stop()


@pytest.fixture
def tenant() -> str:
    """A fresh tenant per test, so tests sharing the session's tables never see each other."""
    return f"tenant-{uuid.uuid4().hex[:8]}"
