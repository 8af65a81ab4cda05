"""Request bodies into commands: bounded JSON parsing, and ids that only the URL or token may set.

Every body is parsed here, with limits no real request comes near (32 KB, nesting 8 deep,
numbers of at most 30 digits), before any field is validated. Without them a hostile body is a
500: 1,000 nested brackets are a RecursionError, a 5,000-digit number a ValueError, and a lone
surrogate escape ("\\ud800") is valid JSON that DynamoDB and the logs cannot encode. Duplicate
keys are refused too: which of two `password`s a firewall and the API each read is a guess.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from chalice.app import Request
from pydantic import BaseModel

from smartalex.domain.errors import InvalidInput, NotFound

C = TypeVar("C", bound=BaseModel)

MAX_BODY_BYTES = 32 * 1024  # the largest real body (a 20-alias directory entry) is ~2 KB
MAX_DEPTH = 8               # real bodies nest 2 deep (an object holding a list of aliases)
MAX_DIGITS = 30             # port is the largest number any field takes

# Where each id comes from, for the message when a body tries to set one.
_ID_SOURCES = {"tenant_id": "your sign-in token", "trunk_id": "the URL"}
# Field names we repeat in messages; anything else is described, not echoed.
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# What decides nesting: a quote, a bracket, or an escape (which may hide a quote).
_TOKEN = re.compile(r'\\.|["\[\]{}]', re.S)


class _Unusable:
    """A value the JSON parser read that no field can take (the reason says why)."""

    def __init__(self, reason: str):
        self.reason = reason


class _Duplicate(Exception):
    def __init__(self, key: str):
        self.key = key


def field_name(key: object) -> str | None:
    """`key` if it is safe to repeat in a message (a plain field name), else None."""
    return key if isinstance(key, str) and _FIELD_NAME.match(key) else None


def json_object(request: Request, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object; `required=False` lets an empty body mean `{}`."""
    try:
        raw = request.raw_body or b""
    except (UnicodeError, ValueError):  # a str body with surrogates, or bad base64
        raise InvalidInput("The request body must be UTF-8 encoded JSON.") from None
    return parse_object(raw if isinstance(raw, bytes) else raw.encode(), required)


def parse_object(raw: bytes, required: bool = True) -> dict[str, Any]:
    """`raw` as a JSON object within the limits above, or InvalidInput saying what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB; no "
                           "request of this API needs more than a few KB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The request body must be UTF-8 encoded JSON.") from None
    if not text.strip():
        if required:
            raise InvalidInput("The request body must be a JSON object.")
        return {}
    if _too_deep(text):
        raise InvalidInput(f"The request body nests objects or lists more than {MAX_DEPTH} "
                           "levels deep; fields take strings, numbers, booleans or lists of "
                           "strings.")
    try:
        body = json.loads(text, object_pairs_hook=_object, parse_int=_int,
                          parse_float=_float, parse_constant=_constant)
    except _Duplicate as exc:
        name = field_name(exc.key)
        raise InvalidInput(f"{name or 'A field'} is given twice in the request body; give "
                           "each field once.", field=name) from None
    except json.JSONDecodeError as exc:
        # exc.msg is the parser's complaint ("Expecting ',' delimiter"), never the text itself.
        raise InvalidInput(f"The request body is not valid JSON: {exc.msg} "
                           f"(line {exc.lineno}, column {exc.colno}).") from None
    if not isinstance(body, dict):
        raise InvalidInput('The request body must be a JSON object, e.g. {"label": "Reception"}.')
    for key, value in body.items():
        _check_field(key, value)
    return body


def _too_deep(text: str) -> bool:
    """Whether brackets outside strings nest more than MAX_DEPTH (checked before parsing,
    because the parser itself recurses)."""
    depth, in_string = 0, False
    for token in _TOKEN.findall(text):  # one linear pass
        if token == '"':
            in_string = not in_string
        elif not in_string and token[0] != "\\":
            depth += 1 if token in "[{" else -1
            if depth > MAX_DEPTH:
                return True
    return False


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _int(text: str) -> int | _Unusable:
    if len(text.lstrip("-")) > MAX_DIGITS:
        return _Unusable(f"is a number of more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float | _Unusable:
    value = float(text)
    return value if math.isfinite(value) else _Unusable("is a number too large to use")


def _constant(text: str) -> _Unusable:
    return _Unusable("must be a number, not NaN or Infinity (which JSON does not have)")


def _check_field(key: str, value: Any) -> None:
    """Refuse a field holding what the parser could read but nothing may store."""
    name = field_name(key)
    if name is None and not _encodable(key):
        raise InvalidInput("A field name in the request body is not valid Unicode text (it "
                           "holds an unpaired surrogate escape such as \\ud800).")
    problem = _problem(value)
    if problem:
        raise InvalidInput(f"{name or 'A field'} {problem}", field=name)


def _problem(value: Any) -> str | None:
    """What is wrong with a parsed value, looking inside lists and objects (at most MAX_DEPTH
    deep, so the recursion is bounded)."""
    if isinstance(value, _Unusable):
        return value.reason
    if isinstance(value, str):
        return None if _encodable(value) else (
            "is not valid Unicode text (it holds an unpaired surrogate escape such as \\ud800)")
    if isinstance(value, list):
        return next((p for p in map(_problem, value) if p), None)
    if isinstance(value, dict):
        return next((p for p in (_problem(k) or _problem(v) for k, v in value.items()) if p),
                    None)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
