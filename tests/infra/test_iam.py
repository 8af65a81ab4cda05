"""Least privilege: no wildcard actions, and who may touch the SIP secrets."""

from __future__ import annotations

from smartalex.adapters.dynamodb.schema import table_specs

from .iam import allowed, as_list, render, statements

SECRET_ACTIONS = ("GetSecretValue", "PutSecretValue", "CreateSecret", "DeleteSecret")


def test_no_statement_grants_every_action_of_a_service(env):
    for concern, template in env.templates.items():
        for policy, statement, _ in statements(template.to_json()):
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), \
                    f"{concern}/{policy} grants {action}"


def _secret(env, trunk_id: str = "trk_0123456789abcdef0123", stage: str | None = None) -> str:
    return (f"arn:aws:secretsmanager:us-east-1:123456789012:secret:"
            f"smartalex/{stage or env.name}/trunks/{trunk_id}-AbCdEf")


def _role(env, concern: str, role) -> tuple[dict, str]:
    return env.json(concern), env.logical_id(role)


def test_the_edge_may_only_read_trunk_secrets(env):
    template, role = _role(env, "Edge", env.app.edge.task_definition.task_role)
    assert allowed(template, role, "secretsmanager:GetSecretValue", _secret(env))
    for action in SECRET_ACTIONS[1:]:
        assert not allowed(template, role, f"secretsmanager:{action}", _secret(env)), action


def test_the_api_manages_trunk_secrets(env):
    template, role = _role(env, "Api", env.app.api.role)
    for action in SECRET_ACTIONS:
        assert allowed(template, role, f"secretsmanager:{action}", _secret(env)), action


def test_secret_grants_stop_at_the_environments_prefix(env):
    other = "prod" if env.name != "prod" else "dev"
    for concern, role in (("Edge", env.app.edge.task_definition.task_role),
                          ("Api", env.app.api.role)):
        template, role_id = _role(env, concern, role)
        assert not allowed(template, role_id, "secretsmanager:GetSecretValue",
                           _secret(env, stage=other))
        assert not allowed(template, role_id, "secretsmanager:GetSecretValue",
                           "arn:aws:secretsmanager:us-east-1:123456789012:secret:unrelated-AbCdEf")


def test_no_other_role_touches_secrets(env):
    roles = {env.logical_id(env.app.edge.task_definition.task_role), env.logical_id(env.app.api.role)}
    for template in env.templates.values():
        for policy, statement, attached in statements(template.to_json()):
            if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"])):
                assert set(attached) <= roles, policy


def _table_arn(env, template: dict, role: str, model: str) -> str:
    """The trunks table ARN as the role's policy renders it (an import from the Data stack)."""
    prefix = (f"<Import SmartAlex-{env.name}-Data:ExportsOutputFnGetAtt"
              f"{env.logical_id(env.app.data.tables[model])}Arn")
    rendered = {render(r) for _, s, roles in statements(template) if role in roles
                for r in as_list(s.get("Resource", []))}
    (arn,) = [r for r in rendered if r.startswith(prefix) and "/index/" not in r]
    return arn


def test_the_edge_reads_and_leases_trunks_but_cannot_create_or_delete_them(env):
    template, role = _role(env, "Edge", env.app.edge.task_definition.task_role)
    trunks = _table_arn(env, template, role, "TrunkModel")
    assert allowed(template, role, "dynamodb:UpdateItem", trunks)
    assert allowed(template, role, "dynamodb:Query", f"{trunks}/index/holder-index")
    for action in ("PutItem", "DeleteItem", "Scan", "BatchWriteItem"):
        assert not allowed(template, role, f"dynamodb:{action}", trunks), action


def test_the_edge_batch_reads_the_trunks_it_holds_and_no_other_table(env):
    """DynamoLeaseStore.load re-reads the held trunks in one BatchGetItem on every poll."""
    template, role = _role(env, "Edge", env.app.edge.task_definition.task_role)
    assert allowed(template, role, "dynamodb:BatchGetItem",
                   _table_arn(env, template, role, "TrunkModel"))
    for model in ("AgentModel", "DirectoryEntryModel", "PhoneNumberModel"):
        assert not allowed(template, role, "dynamodb:BatchGetItem",
                           _table_arn(env, template, role, model)), model


def test_the_api_batch_deletes_only_directory_entries(env):
    """Deleting a trunk deletes its directory with BatchWriteItem; nothing else is batch-written."""
    template, role = _role(env, "Api", env.app.api.role)
    assert allowed(template, role, "dynamodb:BatchWriteItem",
                   _table_arn(env, template, role, "DirectoryEntryModel"))
    for spec in table_specs():
        if spec.model != "DirectoryEntryModel":
            assert not allowed(template, role, "dynamodb:BatchWriteItem",
                               _table_arn(env, template, role, spec.model)), spec.model


def test_no_runtime_may_scan_a_table(env):
    for concern, role in (("Api", env.app.api.role),
                          ("Edge", env.app.edge.task_definition.task_role),
                          ("Functions", env.app.functions.edge_events.role)):
        template, role_id = _role(env, concern, role)
        for _, statement, roles in statements(template):
            if role_id in roles:
                assert "dynamodb:Scan" not in as_list(statement["Action"]), concern


def test_the_edge_keeps_its_own_lease_and_the_api_only_reads_leases(env):
    """adapters/dynamodb/leases.py: an edge writes its lease item and deletes a long-dead one;
    the API reads leases (a trunk is held until its edge's lease expires) and writes none."""
    template, role = _role(env, "Edge", env.app.edge.task_definition.task_role)
    edges = _table_arn(env, template, role, "EdgeLeaseModel")
    for action in ("PutItem", "UpdateItem", "DeleteItem", "BatchGetItem"):
        assert allowed(template, role, f"dynamodb:{action}", edges), action
    assert allowed(template, role, "dynamodb:Query", f"{edges}/index/fleet-index")
    template, role = _role(env, "Api", env.app.api.role)
    edges = _table_arn(env, template, role, "EdgeLeaseModel")
    assert allowed(template, role, "dynamodb:BatchGetItem", edges)
    for action in ("PutItem", "UpdateItem", "DeleteItem"):
        assert not allowed(template, role, f"dynamodb:{action}", edges), action
