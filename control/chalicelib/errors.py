"""The one place where exceptions become HTTP answers.

Every view is wrapped in `api_errors`; the body is always
`{"error": {"code", "message", "field"}}`. Messages come from the domain or from pydantic's
error *type and message*, never from the input, because the input may hold a SIP password.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from aws_lambda_powertools import Logger
from chalice import Response
from pydantic import ValidationError

from smartalex.domain.errors import Conflict, DomainError, InvalidInput, NotFound, QuotaExceeded

from .auth import AuthenticationFailed, ConfigurationError
from .inputs import field_name

logger = Logger(service="control", child=True)

WWW_AUTHENTICATE = 'Bearer realm="smartalex"'
INTERNAL = ("Something went wrong on our side; nothing was changed if the request did not "
            "complete. Try again, and contact support if it keeps happening.")

# (exception type, HTTP status, error code), first match wins: subclasses before their bases.
_DOMAIN = (
    (InvalidInput, 400, "invalid_input"),
    (NotFound, 404, "not_found"),
    (QuotaExceeded, 409, "quota_exceeded"),
    (Conflict, 409, "conflict"),
    (DomainError, 400, "rejected"),
)
# pydantic's wording, turned into "<field> <what is wrong>".
_REWORDED = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "bool_type": "must be true or false",
}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    return Response(body=body, status_code=status, headers=headers or {})


def describe(exc: ValidationError) -> tuple[str, str | None]:
    """(message, field) for the first error, e.g. ("port must be a valid integer", "port")."""
    error = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    parts = [str(p) if isinstance(p, int) else field_name(p) for p in error["loc"]]
    what = _REWORDED.get(error["type"]) or _reword(error["msg"])
    if None in parts:  # a field name too odd to repeat (unknown fields are named by the caller)
        return f"A field in the request body {what}", None
    field = ".".join(parts) or None
    return (f"{field} {what}" if field else what[:1].upper() + what[1:]), field


def _reword(msg: str) -> str:
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for pydantic_says, we_say in (("Input should be ", "must be "), ("String should ", "must ")):
        if msg.startswith(pydantic_says):
            return we_say + msg[len(pydantic_says):]
    return msg


def to_response(exc: Exception) -> Response:
    if isinstance(exc, ValidationError):
        message, field = describe(exc)
        return _rejected(400, "invalid_input", message, field)
    for kind, status, code in _DOMAIN:
        if isinstance(exc, kind):
            return _rejected(status, code, str(exc), getattr(exc, "field", None))
    if isinstance(exc, AuthenticationFailed):
        return _rejected(401, "unauthorized", str(exc), None,
                         {"WWW-Authenticate": WWW_AUTHENTICATE})
    if isinstance(exc, ConfigurationError):
        logger.error("The API is misconfigured", extra={"problem": str(exc)})
        return error_response(500, "misconfigured", f"The API is not configured correctly: {exc}")
    # The commands hold passwords as SecretStr and tracebacks show code, not values, so the
    # traceback is safe to log.
    logger.exception("Unexpected error")
    return error_response(500, "internal", INTERNAL)


def _rejected(status: int, code: str, message: str, field: str | None,
              headers: dict[str, str] | None = None) -> Response:
    logger.info("Request rejected", extra={"status": status, "code": code, "field": field,
                                           "reason": message})
    return error_response(status, code, message, field, headers)


def api_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view so that whatever it raises is answered in the error format."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the boundary: everything gets an answer
            return to_response(exc)

    return wrapper
