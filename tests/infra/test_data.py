"""The tables are the pynamodb models' own schema: compared with `table_specs()`, not re-typed."""

from __future__ import annotations

from aws_cdk import RemovalPolicy

from smartalex.adapters.dynamodb.schema import table_specs


def _table(env, model: str) -> dict:
    logical_id = env.logical_id(env.app.data.tables[model])
    return env.json("Data")["Resources"][logical_id]


def _keys(key_schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def test_every_model_has_a_table_with_its_keys_indexes_and_projections(env):
    tables = env.resources("Data", "AWS::DynamoDB::Table")
    assert len(tables) == len(table_specs())
    for spec in table_specs():
        props = _table(env, spec.model)["Properties"]
        types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        keys = _keys(props["KeySchema"])
        assert (keys["HASH"], types[keys["HASH"]]) == spec.hash_key
        assert ((keys["RANGE"], types[keys["RANGE"]]) if "RANGE" in keys else None) == spec.range_key

        indexes = {}
        for gsi in props.get("GlobalSecondaryIndexes", []):
            k = _keys(gsi["KeySchema"])
            indexes[gsi["IndexName"]] = (
                (k["HASH"], types[k["HASH"]]),
                (k["RANGE"], types[k["RANGE"]]) if "RANGE" in k else None,
                gsi["Projection"]["ProjectionType"],
            )
        assert indexes == {i.name: (i.hash_key, i.range_key, i.projection) for i in spec.indexes}
        if spec.ttl_attribute:
            assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute,
                                                        "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_tables_are_on_demand_encrypted_and_follow_the_environment_settings(env):
    s = env.settings
    for spec in table_specs():
        table = _table(env, spec.model)
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert ("KMSMasterKeyId" in props["SSESpecification"]) == s.tables_cmk
        pitr = props.get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled", False) == s.point_in_time_recovery
        assert props.get("DeletionProtectionEnabled", False) == s.deletion_protection
        expected = {RemovalPolicy.RETAIN: "Retain", RemovalPolicy.DESTROY: "Delete"}[s.removal_policy]
        assert table["DeletionPolicy"] == expected


def test_prod_keeps_its_data():
    from infra.cdk.environments import ENVIRONMENTS

    prod = ENVIRONMENTS["prod"]
    assert prod.removal_policy == RemovalPolicy.RETAIN
    assert prod.point_in_time_recovery and prod.deletion_protection
