"""What the local endpoint asks IAM about each request (devstack/moto_authz.py), as AWS does."""

from __future__ import annotations

import json

from devstack.moto_authz import Need, Request, allowed, needs

TABLES = "arn:aws:dynamodb:us-east-1:123456789012:table"


def request(service, operation, secret_key=lambda _id: None, **params):
    return Request(service, operation, params, "us-east-1", "123456789012", secret_key)


def test_a_batch_read_or_write_needs_its_action_on_every_table_it_touches():
    batch = request("dynamodb", "BatchWriteItem", RequestItems={"a": [], "b": []})
    assert needs(batch) == [Need("dynamodb:BatchWriteItem", f"{TABLES}/a"),
                            Need("dynamodb:BatchWriteItem", f"{TABLES}/b")]


def test_a_transaction_needs_each_items_own_action_on_its_table():
    tx = request("dynamodb", "TransactWriteItems", TransactItems=[
        {"Put": {"TableName": "a"}}, {"Update": {"TableName": "b"}},
        {"Delete": {"TableName": "a"}}, {"ConditionCheck": {"TableName": "c"}}])
    assert [(n.action, n.resource.rsplit("/", 1)[1]) for n in needs(tx)] == [
        ("dynamodb:PutItem", "a"), ("dynamodb:UpdateItem", "b"), ("dynamodb:DeleteItem", "a"),
        ("dynamodb:ConditionCheckItem", "c")]


def test_a_query_on_an_index_needs_the_index_not_the_table():
    query = request("dynamodb", "Query", TableName="trunks", IndexName="placement-index")
    assert needs(query) == [Need("dynamodb:Query", f"{TABLES}/trunks/index/placement-index")]
    assert needs(request("dynamodb", "GetItem", TableName="trunks")) == [
        Need("dynamodb:GetItem", f"{TABLES}/trunks")]


def test_sqs_batches_are_authorized_as_their_single_message_action_on_the_queue():
    url = "http://127.0.0.1:4566/123456789012/edge-events"
    arn = "arn:aws:sqs:us-east-1:123456789012:edge-events"
    assert needs(request("sqs", "SendMessageBatch", QueueUrl=url)) == [Need("sqs:SendMessage", arn)]
    assert needs(request("sqs", "DeleteMessageBatch", QueueUrl=url)) == [
        Need("sqs:DeleteMessage", arn)]
    assert needs(request("sqs", "GetQueueUrl", QueueName="edge-events")) == [
        Need("sqs:GetQueueUrl", arn)]


def test_secrets_manager_needs_the_callers_kms_grant_for_a_customer_managed_key():
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"
    via = {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    created = request("secretsmanager", "CreateSecret", Name="p/trk_1", KmsKeyId=key)
    assert needs(created) == [
        Need("secretsmanager:CreateSecret",
             "arn:aws:secretsmanager:us-east-1:123456789012:secret:p/trk_1"),
        Need("kms:GenerateDataKey", key, via)]
    stored = "arn:aws:secretsmanager:us-east-1:123456789012:secret:p/trk_1-AbCdEf"
    read = request("secretsmanager", "GetSecretValue", lambda _id: (stored, key), SecretId="p/trk_1")
    assert needs(read) == [Need("secretsmanager:GetSecretValue", stored),
                           Need("kms:Decrypt", key, via)]
    aws_managed = request("secretsmanager", "GetSecretValue",
                          lambda _id: (stored, "alias/aws/secretsmanager"), SecretId="p/trk_1")
    assert [n.action for n in needs(aws_managed)] == ["secretsmanager:GetSecretValue"]


def test_put_metric_data_is_cloudwatch_with_the_namespace_as_condition_key():
    assert needs(request("cloudwatch", "PutMetricData", Namespace="SmartAlex")) == [
        Need("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "SmartAlex"})]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_resource_scoped_allow_allows_only_its_resources_and_a_deny_wins():
    grant = policy({"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": f"{TABLES}/a"})
    assert allowed([grant], Need("dynamodb:GetItem", f"{TABLES}/a"))
    assert not allowed([grant], Need("dynamodb:GetItem", f"{TABLES}/b"))
    assert not allowed([grant], Need("dynamodb:PutItem", f"{TABLES}/a"))
    deny = policy({"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"})
    assert not allowed([grant, deny], Need("dynamodb:GetItem", f"{TABLES}/a"))


def test_a_condition_on_a_key_the_request_carries_must_hold():
    grant = policy({"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": "SmartAlex"}}})
    assert allowed([grant], Need("cloudwatch:PutMetricData", "*",
                                 {"cloudwatch:namespace": "SmartAlex"}))
    assert not allowed([grant], Need("cloudwatch:PutMetricData", "*",
                                     {"cloudwatch:namespace": "Other"}))
