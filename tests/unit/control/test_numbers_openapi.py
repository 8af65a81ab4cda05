"""The phone-number and Diagnostics routes in the OpenAPI document."""

from __future__ import annotations

from chalicelib import openapi


def schemas():
    return openapi.document()["components"]["schemas"]


def test_the_binding_body_documents_the_trunk_and_agent_it_names_but_not_the_tenant():
    bind = schemas()["BindPbxExtension"]

    assert set(bind["properties"]) == {"trunk_id", "extension", "agent_id", "did", "label",
                                       "country"}
    assert set(bind["required"]) == {"trunk_id", "extension", "agent_id", "did"}
    assert bind["additionalProperties"] is False
    operation = openapi.document()["paths"]["/v1/phone-numbers/pbx-extension"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "409"}


def test_diagnostics_are_documented_for_numbers_and_trunks():
    paths = openapi.document()["paths"]
    for path in ("/v1/phone-numbers/{number_id}/diagnostics", "/v1/trunks/{trunk_id}/diagnostics"):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/DiagnosticsView"}
    health = schemas()["HealthView"]["properties"]
    assert {"assignment", "registration", "credentials_valid", "last_call_at"} == set(health)


def test_the_number_view_shows_how_it_routes():
    assert {"routing", "agent_name", "display"} <= set(schemas()["PhoneNumberView"]["properties"])
