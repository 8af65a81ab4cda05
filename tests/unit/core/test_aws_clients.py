"""The one way to build AWS clients: built once, however many threads ask for the first time at
once (an edge's ten AWS threads start together on a restart)."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from smartalex.adapters import aws


@pytest.fixture
def built(monkeypatch) -> list[str]:
    """Every client boto3 builds, each taking a while, as a real one does."""
    made: list[str] = []
    real = boto3.session.Session.client

    def slow_client(self, service, *args, **kwargs):
        made.append(service)
        time.sleep(0.05)
        return real(self, service, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", slow_client)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # built, never called
    aws.client.cache_clear()
    yield made
    aws.client.cache_clear()


def first_calls_at_once(work, threads: int = 10) -> list:
    start, results = threading.Barrier(threads), []

    def run():
        start.wait()
        results.append(work())

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(10)
    return results


def test_threads_asking_at_once_share_one_client(built):
    clients = first_calls_at_once(lambda: aws.client("secretsmanager"))
    assert built == ["secretsmanager"]
    assert len({id(c) for c in clients}) == 1


def test_every_table_has_its_client_before_the_first_call(monkeypatch):
    """models.connect, called by the edge before its AWS threads start: pynamodb would build a
    table's client on first use, once per thread that gets there at the same time."""
    from smartalex.adapters.dynamodb.models import MODELS, connect

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    for model in MODELS:
        model._connection = None
    try:
        connect()
        clients = [model._get_connection().connection._client for model in MODELS]
        assert all(client is not None for client in clients)
        again = first_calls_at_once(
            lambda: [m._get_connection().connection.client for m in MODELS])
        assert all(list(map(id, c)) == list(map(id, clients)) for c in again)
    finally:
        for model in MODELS:
            model._connection = None
