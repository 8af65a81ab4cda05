"""`make run` keeps its state across restarts (devstack/snapshot.py): what a run made is back
in an empty endpoint, secrets included, and the file alone reveals no secret."""

from __future__ import annotations

import json
import secrets as random

import pytest

from devstack.snapshot import Snapshot
from smartalex.adapters import aws


@pytest.fixture
def kept(aws_endpoint, tmp_path):
    """Two tables and a secret prefix of this test's own on the session's endpoint."""
    run = random.token_hex(4)
    tables = (f"snap-{run}-trunks", f"snap-{run}-directory")
    dynamodb = aws.client("dynamodb")
    for table in tables:
        dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    yield Snapshot(tables=tables, secret_prefix=f"snap/{run}/", file=tmp_path / "aws-snap.json",
                   key_file=tmp_path / "snapshot-key")
    for table in tables:
        dynamodb.delete_table(TableName=table)


def empty(kept: Snapshot) -> None:
    """As a fresh endpoint has them: no items, no secrets."""
    dynamodb, secretsmanager = aws.client("dynamodb"), aws.client("secretsmanager")
    for table in kept.tables:
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"k": item["k"]})
    # every page: the session's endpoint holds more secrets than one page lists
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            if entry["Name"].startswith(kept.secret_prefix):
                secretsmanager.delete_secret(SecretId=entry["Name"],
                                             ForceDeleteWithoutRecovery=True)


def test_a_restart_gets_back_every_item_and_secret(kept):
    dynamodb, secretsmanager = aws.client("dynamodb"), aws.client("secretsmanager")
    trunks, directory = kept.tables
    for i in range(30):  # more than one batch write
        dynamodb.put_item(TableName=directory, Item={"k": {"S": f"e{i}"}, "n": {"N": str(i)}})
    dynamodb.put_item(TableName=trunks, Item={"k": {"S": "trk_1"}, "label": {"S": "Front"}})
    secret = f"{kept.secret_prefix}trk_1"
    secretsmanager.create_secret(Name=secret, SecretString='{"password": "hunter2-sip"}')
    assert kept.save() == 32
    saved = kept.file.read_text()
    assert "hunter2-sip" not in saved
    assert kept.file.stat().st_mode & 0o777 == 0o600
    assert kept.key_file.stat().st_mode & 0o777 == 0o600

    empty(kept)
    assert kept.restore() == 32
    assert dynamodb.get_item(TableName=trunks, Key={"k": {"S": "trk_1"}})["Item"]["label"] == \
        {"S": "Front"}
    assert dynamodb.scan(TableName=directory)["Count"] == 30
    value = secretsmanager.get_secret_value(SecretId=secret)["SecretString"]
    assert json.loads(value) == {"password": "hunter2-sip"}
    empty(kept)


def test_without_a_snapshot_nothing_is_restored(kept):
    assert kept.restore() == 0


@pytest.mark.parametrize("content", [
    "not json",
    '{"version": 99, "tables": {}, "secrets": {}}',
    '{"version": 1, "tables": {}, "secrets": {"snap/x": "not a fernet token"}}',
])
def test_an_unreadable_snapshot_is_set_aside_and_the_stack_starts_empty(kept, content, capsys):
    kept.file.write_text(content)
    assert kept.restore() == 0
    assert not kept.file.exists()
    assert kept.file.with_suffix(".unreadable").read_text() == content
    assert "starts empty" in capsys.readouterr().out
