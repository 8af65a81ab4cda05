"""Rendering a runtime role's synthesized policies for the local endpoint."""

from __future__ import annotations

import pytest

from devstack import runtime_policies as rp

LOCAL = rp.Local(region="us-east-1", account="123456789012", secret_prefix="smartalex/test/trunks",
                 secrets_key_arn="arn:aws:kms:us-east-1:123456789012:key/local",
                 tables={"TrunkModel": "smartalex-test-trunks"},
                 queues={"EdgeEvents": "smartalex-test-edge-events"})
PSEUDO_ARN = ["arn:", {"Ref": "AWS::Partition"}, ":secretsmanager:", {"Ref": "AWS::Region"}, ":",
              {"Ref": "AWS::AccountId"}, ":secret:smartalex/dev/trunks/*"]


def export(stack, logical_id, attribute="Arn"):
    name = f"SmartAlex-dev-{stack}:Export{logical_id}{attribute}"
    return name, {"Value": {"Fn::GetAtt": [logical_id, attribute]}, "Export": {"Name": name}}


def resource(type_, path, **properties):
    return {"Type": type_, "Metadata": {"aws:cdk:path": path}, "Properties": properties}


def stacks(statements, **role_properties):
    trunks, trunks_out = export("Data", "TrunkModelAB12")
    queue, queue_out = export("Messaging", "EdgeEventsCD34")
    key, key_out = export("Secrets", "SipSecretsKeyEF56")
    edge = {
        "TaskRole": {"Type": "AWS::IAM::Role", "Properties": role_properties},
        "TaskPolicy": {"Type": "AWS::IAM::Policy", "Properties": {
            "Roles": [{"Ref": "TaskRole"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
            "ContainerDefinitions": [{"Name": "edge", "Environment": [
                {"Name": "SMARTALEX_SECRET_PREFIX", "Value": "smartalex/dev/trunks"},
                {"Name": "SMARTALEX_SECRETS_KMS_KEY_ID", "Value": {"Fn::ImportValue": key}}]}]}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
    }
    return {
        "Data": {"Resources": {"TrunkModelAB12": resource(
            "AWS::DynamoDB::Table", "SmartAlex-dev-Data/TrunkModel/Resource")},
            "Outputs": {"T": trunks_out}},
        "Messaging": {"Resources": {"EdgeEventsCD34": resource(
            "AWS::SQS::Queue", "SmartAlex-dev-Messaging/EdgeEvents/Resource")},
            "Outputs": {"Q": queue_out}},
        "Secrets": {"Resources": {
            "SipSecretsKeyEF56": resource("AWS::KMS::Key", "SmartAlex-dev-Secrets/SipSecretsKey/Resource"),
            "OtherKey": resource("AWS::KMS::Key", "SmartAlex-dev-Secrets/OtherKey/Resource")},
            "Outputs": {"K": key_out}},
        "Edge": {"Resources": edge},
    }, {"trunks": trunks, "queue": queue, "key": key}


def render_edge(statements, **role_properties):
    found, _ = stacks(statements, **role_properties)
    role = rp.find_role(found, rp.EDGE)
    renderer = rp.Renderer(found, LOCAL, role)
    [(name, document)] = rp.role_policies(found["Edge"], role.logical_id)
    assert name == "TaskPolicy"
    return renderer.render(document, "Edge")["Statement"]


def test_imported_tables_and_queues_become_the_local_ones_with_their_indexes():
    _, exports = stacks([])
    [table, queue] = render_edge([
        {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": [
            {"Fn::ImportValue": exports["trunks"]},
            {"Fn::Join": ["", [{"Fn::ImportValue": exports["trunks"]}, "/index/placement-index"]]}]},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::ImportValue": exports["queue"]}},
    ])
    assert table["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/smartalex-test-trunks",
        "arn:aws:dynamodb:us-east-1:123456789012:table/smartalex-test-trunks/index/placement-index"]
    assert queue["Resource"] == "arn:aws:sqs:us-east-1:123456789012:smartalex-test-edge-events"


def test_the_secret_prefix_and_the_secrets_key_become_the_local_ones_conditions_included():
    _, exports = stacks([])
    [secrets, key] = render_edge([
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": {"Fn::Join": ["", PSEUDO_ARN]}},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {"Fn::ImportValue": exports["key"]},
         "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "secretsmanager.${AWS::Region}.amazonaws.com"}}}},
    ])
    assert secrets["Resource"] == \
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:smartalex/test/trunks/*"
    assert key["Resource"] == LOCAL.secrets_key_arn
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_what_does_not_exist_locally_gets_an_arn_nothing_local_matches():
    [logs] = render_edge([{"Effect": "Allow", "Action": "logs:PutLogEvents",
                           "Resource": {"Fn::GetAtt": ["Logs", "Arn"]}}])
    assert logs["Resource"] == "arn:aws:logs:us-east-1:123456789012:log-group:not-local-Logs:*"
    [bucket] = render_edge([{"Effect": "Allow", "Action": "s3:GetObject",
                             "Resource": {"Fn::GetAtt": ["Bucket", "Arn"]}}])
    assert bucket["Resource"] == "arn:aws:s3:us-east-1:123456789012:not-local/Bucket"


def test_what_cannot_be_rendered_is_an_error_naming_it():
    with pytest.raises(LookupError, match=r"Edge/Bucket \(AWS::S3::Bucket, DomainName\)"):
        render_edge([{"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": {"Fn::GetAtt": ["Bucket", "DomainName"]}}])
    with pytest.raises(ValueError, match="Fn::Select is not rendered locally"):
        render_edge([{"Effect": "Allow", "Action": "s3:GetObject",
                      "Resource": {"Fn::Select": [0, ["a"]]}}])


def test_a_role_with_managed_policies_cannot_be_rendered():
    found, _ = stacks([], ManagedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    with pytest.raises(ValueError, match="managed policies"):
        rp.role_policies(found["Edge"], rp.find_role(found, rp.EDGE).logical_id)


def test_the_cache_key_follows_the_sources(tmp_path, monkeypatch):
    source = tmp_path / "stack.py"
    source.write_text("GRANT = 'dynamodb:GetItem'\n")
    monkeypatch.setattr(rp, "ROOT", tmp_path)
    monkeypatch.setattr(rp, "_SOURCES", (tmp_path,))
    monkeypatch.setattr(rp, "__file__", str(source))
    before = rp.source_key()
    assert rp.source_key() == before
    source.write_text("GRANT = 'dynamodb:BatchGetItem'\n")
    assert rp.source_key() != before
