"""IAM on the local endpoint: each runtime signs as a user holding exactly its role's policies
from the synthesized CDK app, and the endpoint refuses what those policies do not allow."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from devstack.identities import Identity, acting_as, user_name
from devstack.runtime_policies import RUNTIMES, find_role, local_policies, role_policies, templates
from smartalex.adapters import aws, names


@pytest.fixture
def identities(aws_endpoint, expect_access_denied) -> dict[str, Identity]:
    return aws_endpoint["identities"]


def refused(call) -> dict:
    """The error of `call()`, which must be an authorization refusal."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, error
    return error


def test_each_runtime_holds_exactly_its_roles_synthesized_policies(aws_endpoint):
    iam, stacks = aws.client("iam"), templates()
    rendered = local_policies()
    for runtime in RUNTIMES:
        role = find_role(stacks, runtime)
        synthesized = role_policies(stacks[role.concern], role.logical_id)
        user = user_name(runtime)
        assert sorted(iam.list_user_policies(UserName=user)["PolicyNames"]) == \
            sorted(name for name, _ in synthesized)
        for (name, template_document), (_, local_document) in zip(synthesized, rendered[runtime]):
            held = iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
            held = json.loads(held) if isinstance(held, str) else held
            assert held == local_document
            # Only references were rendered: every statement keeps its effect and actions.
            assert [(s["Effect"], s["Action"]) for s in held["Statement"]] == \
                [(s["Effect"], s["Action"]) for s in template_document["Statement"]]


def test_every_table_and_queue_the_policies_name_exists_locally(aws_endpoint):
    tables = set(aws.client("dynamodb").list_tables()["TableNames"])
    queues = {url.rsplit("/", 1)[1] for url in aws.client("sqs").list_queues()["QueueUrls"]}
    named = {"dynamodb": set(), "sqs": set()}
    for documents in local_policies().values():
        for _, document in documents:
            for statement in document["Statement"]:
                for arn in [statement["Resource"]] if isinstance(statement["Resource"], str) \
                        else statement["Resource"]:
                    service = arn.split(":")[2] if arn.startswith("arn:") else None
                    if service == "dynamodb":
                        named["dynamodb"].add(arn.split(":table/")[1].split("/")[0])
                    elif service == "sqs":
                        named["sqs"].add(arn.rsplit(":", 1)[1])
    assert named["dynamodb"] and named["dynamodb"] <= tables
    assert named["sqs"] and named["sqs"] <= queues


def test_the_edge_is_refused_what_its_role_does_not_allow(identities):
    with acting_as(identities["edge"]):
        dynamodb = aws.client("dynamodb")
        error = refused(lambda: dynamodb.scan(TableName=names.trunks_table(), Limit=1))
        assert error["Code"] == "AccessDeniedException"
        assert f"user/{user_name('edge')} is not authorized to perform: dynamodb:Scan " \
               f"on resource: arn:aws:dynamodb:" in error["Message"]
        refused(lambda: dynamodb.delete_item(TableName=names.trunks_table(),
                                             Key={"trunk_id": {"S": "trk_none"}}))
        refused(lambda: aws.client("secretsmanager").create_secret(
            Name=f"{names.secret_prefix()}/trk_{uuid.uuid4().hex[:20]}", SecretString="{}"))
        cloudwatch = aws.client("cloudwatch")
        refused(lambda: cloudwatch.put_metric_data(Namespace="NotSmartAlex", MetricData=[
            {"MetricName": "Held", "Value": 1.0}]))
        # What the role does allow goes through, the lease batch read included.
        cloudwatch.put_metric_data(Namespace="SmartAlex", MetricData=[
            {"MetricName": "RegistrationCapacityUsed", "Value": 0.0,
             "Dimensions": [{"Name": "Stage", "Value": names.stage()}]}])
        dynamodb.batch_get_item(RequestItems={names.trunks_table(): {
            "Keys": [{"trunk_id": {"S": "trk_none"}}]}})


def test_the_edge_events_handler_may_not_send_to_its_queue_nor_create_trunks(identities,
                                                                             aws_endpoint):
    with acting_as(identities["edge-events"]):
        refused(lambda: aws.client("sqs").send_message(
            QueueUrl=aws_endpoint["queues"]["edge_events"], MessageBody="{}"))
        refused(lambda: aws.client("dynamodb").put_item(
            TableName=names.trunks_table(), Item={"trunk_id": {"S": "trk_none"}}))


def test_the_api_cannot_read_another_stages_secrets(identities):
    secretsmanager = aws.client("secretsmanager")  # the admin's
    own = f"{names.secret_prefix()}/trk_{uuid.uuid4().hex[:20]}"
    other = f"smartalex/not-{names.stage()}/trunks/trk_{uuid.uuid4().hex[:20]}"
    for name in (own, other):
        secretsmanager.create_secret(Name=name, SecretString='{"password": "pw"}',
                                     KmsKeyId=names.secrets_kms_key())
    with acting_as(identities["api"]):
        api = aws.client("secretsmanager")
        assert json.loads(api.get_secret_value(SecretId=own)["SecretString"]) == {"password": "pw"}
        error = refused(lambda: api.get_secret_value(SecretId=other))
        assert "secretsmanager:GetSecretValue" in error["Message"] and other in error["Message"]
        refused(lambda: api.delete_secret(SecretId=other, ForceDeleteWithoutRecovery=True))


def test_reading_a_secret_needs_decrypt_on_its_key_through_secrets_manager(identities):
    """As in AWS: Secrets Manager decrypts with the caller's own kms:Decrypt on the secret's key,
    and the edge's role has it on the SIP secrets key only."""
    other_key = aws.client("kms").create_key(Description="not the SIP secrets key")[
        "KeyMetadata"]["Arn"]
    name = f"{names.secret_prefix()}/trk_{uuid.uuid4().hex[:20]}"
    aws.client("secretsmanager").create_secret(Name=name, SecretString='{"password": "pw"}',
                                               KmsKeyId=other_key)
    with acting_as(identities["edge"]):
        error = refused(lambda: aws.client("secretsmanager").get_secret_value(SecretId=name))
        assert f"kms:Decrypt on resource: {other_key}" in error["Message"]
    with acting_as(identities["api"]):
        error = refused(lambda: aws.client("secretsmanager").create_secret(
            Name=f"{name}-2", SecretString="{}", KmsKeyId=other_key))
        assert f"kms:GenerateDataKey on resource: {other_key}" in error["Message"]


def test_keys_the_endpoint_does_not_know_are_refused(aws_endpoint):
    stranger = Identity("stranger", "", "local", "local")
    with acting_as(stranger):
        with pytest.raises(ClientError) as caught:
            aws.client("dynamodb").list_tables()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
