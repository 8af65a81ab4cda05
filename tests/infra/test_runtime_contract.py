"""Every environment variable the runtime reads is set on every runtime, with the right value."""

from __future__ import annotations

import re
from pathlib import Path

from smartalex.adapters.dynamodb.schema import table_specs

from infra.cdk import contract

REPO = Path(__file__).resolve().parents[2]


def runtime_variables() -> set[str]:
    """What names.py (and sqs.py, for the queue URL) reads: grep, so a new one cannot hide."""
    names = set()
    for source in ("smartalex/adapters/names.py", "smartalex/adapters/sqs.py"):
        names |= set(re.findall(r"SMARTALEX_[A-Z_]+[A-Z]", (REPO / source).read_text()))
    return names


def environments(env) -> dict[str, dict]:
    api = env.json("Api")["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    handler_id = env.logical_id(env.app.functions.edge_events)
    handler = env.json("Functions")["Resources"][handler_id]["Properties"]["Environment"]["Variables"]
    (task,) = env.resources("Edge", "AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    edge = {v["Name"]: v["Value"] for v in container["Environment"]}
    return {"api": api, "edge-events handler": handler, "edge": edge}


def test_the_grep_finds_the_known_contract():
    assert {"SMARTALEX_TRUNKS_TABLE", "SMARTALEX_CLAIMS_TABLE", "SMARTALEX_EDGE_EVENTS_QUEUE",
            "SMARTALEX_EDGE_EVENTS_QUEUE_URL", "SMARTALEX_SECRET_PREFIX",
            "SMARTALEX_STAGE"} <= runtime_variables()


def test_every_runtime_gets_every_variable(env):
    wanted = runtime_variables()
    for runtime, variables in environments(env).items():
        assert wanted <= set(variables), f"{runtime} lacks {sorted(wanted - set(variables))}"


def test_the_variables_point_at_this_environments_resources(env):
    table_ids = {spec.model: env.logical_id(env.app.data.tables[spec.model])
                 for spec in table_specs()}
    for runtime, variables in environments(env).items():
        assert variables["SMARTALEX_STAGE"] == env.name
        assert variables["SMARTALEX_SECRET_PREFIX"] == f"smartalex/{env.name}/trunks"
        for model, var in contract.table_env_vars().items():
            imported = variables[var]["Fn::ImportValue"]
            assert imported.startswith(f"SmartAlex-{env.name}-Data:") and table_ids[model] in imported
        assert "QueueName" in variables["SMARTALEX_EDGE_EVENTS_QUEUE"]["Fn::ImportValue"]
        assert "QueueName" not in variables["SMARTALEX_EDGE_EVENTS_QUEUE_URL"]["Fn::ImportValue"]


def test_the_api_verifies_cognito_tokens_of_its_own_pool(env):
    api = environments(env)["api"]
    pool = env.logical_id(env.app.api.user_pool)
    client = env.logical_id(env.app.api.client)
    assert api["SMARTALEX_AUTH_MODE"] == "cognito"
    assert api["SMARTALEX_JWT_ISSUER"] == {"Fn::GetAtt": [pool, "ProviderURL"]}
    assert api["SMARTALEX_JWKS_URL"] == {"Fn::Join": ["", [{"Fn::GetAtt": [pool, "ProviderURL"]},
                                                         "/.well-known/jwks.json"]]}
    assert api["SMARTALEX_JWT_AUDIENCE"] == {"Ref": client}
    assert api["SMARTALEX_TENANT_CLAIM"] == "custom:tenant_id"


def test_only_an_admin_sets_a_users_tenant(env):
    resources = env.json("Api")["Resources"]
    pool = resources[env.logical_id(env.app.api.user_pool)]["Properties"]
    client = resources[env.logical_id(env.app.api.client)]["Properties"]
    (tenant,) = [a for a in pool["Schema"] if a["Name"] == "tenant_id"]
    assert tenant["Mutable"] is False
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert "custom:tenant_id" in client["ReadAttributes"]
    assert "custom:tenant_id" not in client["WriteAttributes"]


def test_synthesis_leaves_the_process_alone(synthesized):
    import os
    import sys

    assert not [k for k, v in os.environ.items() if "${Token[" in v]
    assert "app" not in sys.modules or "build/chalice" not in str(sys.modules["app"].__file__)
    assert not (REPO / "chalice.out").exists()


def test_the_api_code_is_staged_in_the_cloud_assembly(env):
    import json

    manifest = json.loads((env.outdir / f"SmartAlex-{env.name}-Api.assets.json").read_text())
    sources = [f["source"]["path"] for f in manifest["files"].values()]
    zips = [p for p in sources if p.endswith(".zip")]
    assert zips and all((env.outdir / p).is_file() for p in zips)


def test_the_api_and_the_handler_name_the_edges_elastic_ip_pool(env):
    """PBX admins allow these: the trunk representation and the Connecting hint list them."""
    pool = sorted(env.logical_id(address) for address in env.app.edge.addresses)
    for runtime in ("api", "edge-events handler"):
        joined = environments(env)[runtime][contract.EDGE_PUBLIC_ADDRESSES]
        imported = [part["Fn::ImportValue"] for part in joined["Fn::Join"][1]]
        assert len(imported) == len(pool)
        assert all(i.startswith(f"SmartAlex-{env.name}-Edge:") for i in imported)
    edge = environments(env)["edge"][contract.EDGE_PUBLIC_ADDRESSES]
    assert sorted(part["Ref"] for part in edge["Fn::Join"][1]) == pool
