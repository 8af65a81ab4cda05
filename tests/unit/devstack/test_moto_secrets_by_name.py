"""The local endpoint finds a secret by its name at once (devstack/moto_server.py
secrets_by_name); by ARN, partial ARN or a name it does not hold, as moto does."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws


def lookups() -> list:
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    arn = sm.create_secret(Name="smartalex/t/trunks/trk_1", SecretString="a")["ARN"]
    sm.create_secret(Name="smartalex/t/trunks/trk_2", SecretString="b")
    seen = []
    for key in ("smartalex/t/trunks/trk_1", arn, arn[:-7], "smartalex/t/trunks/trk_2"):
        seen.append(sm.get_secret_value(SecretId=key)["SecretString"])
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="smartalex/t/trunks/trk_none")
    sm.delete_secret(SecretId="smartalex/t/trunks/trk_2", ForceDeleteWithoutRecovery=True)
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="smartalex/t/trunks/trk_2")
    return seen


def test_secrets_are_found_alike_by_name_arn_and_partial_arn(in_process_aws):
    from moto.secretsmanager.models import SecretsStore

    from devstack.moto_server import secrets_by_name

    originals = {n: SecretsStore.__dict__[n] for n in ("__getitem__", "__contains__", "get")}
    with mock_aws():
        before = lookups()
    secrets_by_name()
    try:
        with mock_aws():
            after = lookups()
    finally:
        for name, method in originals.items():
            setattr(SecretsStore, name, method)
    assert after == before == ["a", "a", "a", "b"]
