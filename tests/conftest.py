"""Shared fixtures: a real local AWS endpoint (embedded moto server) for the whole session."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

# After the whole suite, no log it produced may hold a stored secret or a digest answer.
pytest_plugins = ["tests.support.log_audit"]

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
def aws_endpoint(tmp_path_factory):
    """A moto server on a free loopback port, with every table, queue and the SIP secrets key
    created, and IAM enforced: `identities` holds each runtime's own (api, edge-events, edge:
    its role's policies from the CDK app, devstack/identities.py); this process is the admin.
    The server logs every refusal to `log`."""
    from devstack.aws_endpoint import EmbeddedMoto, provision, use_endpoint
    from devstack.identities import enforce

    log = tmp_path_factory.mktemp("aws") / "moto.log"
    server = EmbeddedMoto(port=free_port(), log=log).start()
    try:
        use_endpoint(server.url)
        queues = provision(queue_visibility_timeout=2)
        identities = enforce(server)
        yield {"url": server.url, "queues": queues, "identities": identities, "log": log,
               "pid": server.pid}
    finally:
        server.stop()


@pytest.fixture
def expect_access_denied():
    """Asked for by tests that provoke IAM refusals on purpose (see refusals_fail_the_test)."""


@pytest.fixture(autouse=True)
def refusals_fail_the_test(request):
    """A test during which the endpoint refused anything fails: a runtime that retries, or logs
    and carries on (the edge's poll loop), would otherwise hide a grant its role lacks."""
    if "aws_endpoint" not in request.fixturenames:
        yield
        return
    log = request.getfixturevalue("aws_endpoint")["log"]
    start = log.stat().st_size
    yield
    if "expect_access_denied" in request.fixturenames:
        return
    with open(log, errors="replace") as lines:
        lines.seek(start)
        refusals = [line.strip() for line in lines if "AccessDenied:" in line]
    assert not refusals, "the endpoint refused (IAM):\n" + "\n".join(refusals)


@pytest.fixture
def tenant() -> str:
    """A fresh tenant per test, so tests sharing the session's tables never see each other."""
    return f"tenant-{uuid.uuid4().hex[:8]}"
