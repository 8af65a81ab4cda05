"""The OpenAPI 3.1 document, generated from one table of operations.

Request schemas are the domain commands' own JSON schemas (minus the ids that come from the
token and the URL), response schemas are render.py's models; tests check that the table and
`app.routes` list the same routes.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .operations import ERRORS, REF, Operation
from .render import ErrorView
from .routes import agents, diagnostics, directory, numbers, pbx_types, settings, trunks

# Every route module declares its OPERATIONS; tests check they match `app.routes`.
OPERATIONS = trunks.OPERATIONS + agents.OPERATIONS + directory.OPERATIONS + numbers.OPERATIONS \
    + diagnostics.OPERATIONS + settings.OPERATIONS + pbx_types.OPERATIONS + (
    Operation("GET", "/v1/openapi.json", "This document", 200, auth=False),
)


@functools.cache
def document() -> dict[str, Any]:
    schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SmartAlex control API", "version": "1",
                 "description": "Manage the PBX extensions the AI voice agent registers as."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }


def _schemas() -> dict[str, Any]:
    requests = list(dict.fromkeys(op.request for op in OPERATIONS if op.request))
    responses = list(dict.fromkeys(op.response for op in OPERATIONS if op.response))
    models = [(m, "validation") for m in requests]
    models += [(m, "serialization") for m in responses + [ErrorView]]
    _, top = models_json_schema(models, ref_template=REF)
    schemas = copy.deepcopy(top["$defs"])
    for name, hidden in _ids_not_in_body().items():
        schema = schemas[name]
        for field in hidden:
            schema["properties"].pop(field, None)
        schema["required"] = [f for f in schema.get("required", []) if f not in hidden]
    return schemas


def _ids_not_in_body() -> dict[str, set[str]]:
    """Per request model, the ids its operations take from the token and the URL. Any other
    id is a body field and stays documented (PUT .../telephony takes `trunk_id` in its body)."""
    ids: dict[str, set[str]] = {}
    for op in OPERATIONS:
        if op.request:
            in_url = re.findall(r"{(\w+)}", op.path)
            ids.setdefault(op.request.__name__, set()).update(("tenant_id", *in_url))
    return ids


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(op: Operation) -> dict[str, Any]:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in re.findall(r"{(\w+)}", op.path)]
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": _operation_id(op),
        "parameters": params + list(op.query),
        "responses": {str(op.status): _success(op)},
    }
    if op.request is not None:
        result["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(op.request)}}}
    for status in sorted(op.errors + ((401,) if op.auth else ())):
        result["responses"][str(status)] = {"description": ERRORS[status], "content": {
            "application/json": {"schema": _ref(ErrorView)}}}
    if not op.auth:
        result["security"] = []
    return result


def _success(op: Operation) -> dict[str, Any]:
    if op.status == 204:
        return {"description": "Done; no content"}
    schema = _ref(op.response) if op.response else {"type": "object"}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _operation_id(op: Operation) -> str:
    words = re.sub(r"[{}]", "", op.path.removeprefix("/v1/")).replace(".", "_").split("/")
    return op.method.lower() + "_" + "_".join(words)
