"""The OpenAPI document is generated from the operations table and the commands' schemas."""

from __future__ import annotations

from chalicelib import openapi


def test_request_schemas_are_the_commands_without_the_ids():
    schemas = openapi.document()["components"]["schemas"]

    create, update = schemas["CreateTrunk"], schemas["UpdateTrunk"]
    for schema in (create, update):
        assert not {"tenant_id", "trunk_id"} & set(schema["properties"])
        assert not {"tenant_id", "trunk_id"} & set(schema.get("required", []))
        assert schema["additionalProperties"] is False
    assert set(create["required"]) == {"pbx_type", "domain", "extension", "password"}
    assert create["properties"]["password"]["writeOnly"] is True


def test_path_parameters_come_from_the_path():
    operation = openapi.document()["paths"]["/v1/trunks/{trunk_id}"]["patch"]

    assert [p["name"] for p in operation["parameters"] if p["in"] == "path"] == ["trunk_id"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UpdateTrunk"}


def test_operation_ids_are_unique():
    ids = [op["operationId"] for item in openapi.document()["paths"].values()
           for op in item.values()]

    assert len(ids) == len(set(ids))


def test_the_operations_table_matches_the_app_routes():
    from app import app
    from chalicelib.routes.fallback import is_fallback

    routes = {(m, p) for p, methods in app.routes.items() for m, entry in methods.items()
              if not is_fallback(entry)}

    assert {(op.method, op.path) for op in openapi.OPERATIONS} == routes
