"""The agent routes in the OpenAPI document: ids from the URL are hidden, ids a body carries
are documented."""

from __future__ import annotations

from chalicelib import openapi


def schemas():
    return openapi.document()["components"]["schemas"]


def test_agent_requests_hide_the_ids_from_the_token_and_the_url():
    for name in ("CreateAgent", "UpdateAgent", "LinkAgent"):
        schema = schemas()[name]
        assert not {"tenant_id", "agent_id"} & set(schema["properties"]), name
        assert not {"tenant_id", "agent_id"} & set(schema.get("required", [])), name
        assert schema["additionalProperties"] is False


def test_the_link_body_documents_the_trunk_it_names():
    link = schemas()["LinkAgent"]

    assert set(link["properties"]) == {"trunk_id"}
    assert link["required"] == ["trunk_id"]
    operation = openapi.document()["paths"]["/v1/agents/{agent_id}/telephony"]["put"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LinkAgent"}


def test_create_requires_a_name_and_a_kind():
    assert set(schemas()["CreateAgent"]["required"]) == {"name", "kind"}


def test_the_default_greeting_is_documented():
    from smartalex.domain.agent import DEFAULT_GREETING

    assert DEFAULT_GREETING in schemas()["AgentView"]["properties"]["greeting"]["description"]


def test_trunks_show_their_agent():
    assert "agent_id" in schemas()["TrunkView"]["properties"]
