"""Request bodies into commands: JSON parsing, and ids that only the URL or token may set."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from chalice.app import Request
from pydantic import BaseModel

from smartalex.domain.errors import InvalidInput, NotFound

C = TypeVar("C", bound=BaseModel)

# Where each id comes from, for the message when a body tries to set one.
_ID_SOURCES = {"tenant_id": "your sign-in token", "trunk_id": "the URL"}


def json_object(request: Request, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; `required=False` lets an empty body mean `{}`."""
    raw = request.raw_body or b""
    if not raw.strip():
        if required:
            raise InvalidInput("The request body must be a JSON object.")
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        # exc.msg is the parser's complaint ("Expecting ',' delimiter"), never the text itself.
        raise InvalidInput(f"The request body is not valid JSON: {exc.msg} "
                           f"(line {exc.lineno}, column {exc.colno}).") from None
    except ValueError:
        raise InvalidInput("The request body must be UTF-8 encoded JSON.") from None
    if not isinstance(body, dict):
        raise InvalidInput('The request body must be a JSON object, e.g. {"label": "Reception"}.')
    return body


def command(model: type[C], body: dict[str, Any], context: dict[str, Any] | None = None,
            **ids: str) -> C:
    """Validate `body` into `model`, with `ids` taken from the token and the URL only;
    `context` carries what validation may read but the body cannot set (tenant defaults)."""
    for name in ids:
        if name in body:
            raise InvalidInput(f"{name} is not a known field; it is taken from "
                               f"{_ID_SOURCES.get(name, 'the request')}.", field=name)
    return model.model_validate({**body, **ids}, context=context)


# Ids are a prefix and hex digits (`trk_…`, `agt_…`); anything far off is answered as not found
# before it reaches DynamoDB (whose keys are limited to 2 KB), and is never echoed back.
ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def checked_id(value: str, what: str) -> str:
    """A path id, or NotFound("No <what> with this id.")."""
    if not 0 < len(value) <= 64 or not set(value) <= ID_CHARS:
        raise NotFound(f"No {what} with this id.")
    return value
