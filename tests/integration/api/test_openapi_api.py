"""The OpenAPI document is public and lists exactly the routes the app serves."""

from __future__ import annotations

import json


def operations_of(document):
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def routes_of(app):
    from chalicelib.routes.fallback import is_fallback

    return {(method, path) for path, methods in app.routes.items()
            for method, entry in methods.items() if not is_fallback(entry)}


def test_the_openapi_document_needs_no_token(api):
    reply = api.request("GET", "/v1/openapi.json")

    assert reply.status == 200
    document = reply.json
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] and document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_document_lists_exactly_the_apps_routes(api, app):
    document = api.request("GET", "/v1/openapi.json").json

    assert operations_of(document) == routes_of(app)


def test_every_schema_reference_resolves(api):
    document = api.request("GET", "/v1/openapi.json").json
    text = json.dumps(document)
    refs = {part.split('"')[0] for part in text.split('"$ref": "')[1:]}

    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], ref


def test_operations_declare_auth_and_their_success_status(api, app):
    document = api.request("GET", "/v1/openapi.json").json

    for method, path in routes_of(app):
        operation = document["paths"][path][method.lower()]
        public = path == "/v1/openapi.json"
        assert (operation.get("security") == []) is public, (method, path)
        assert ("401" in operation["responses"]) is not public, (method, path)
    assert "201" in document["paths"]["/v1/trunks"]["post"]["responses"]
    assert "204" in document["paths"]["/v1/trunks/{trunk_id}"]["delete"]["responses"]
    assert "202" in document["paths"]["/v1/trunks/{trunk_id}/reregister"]["post"]["responses"]
