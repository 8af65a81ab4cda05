"""Conditions the repositories share, and recognising a failed one (the one storage error they
expect)."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError


def is_conditional_failure(exc: Exception) -> bool:
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def same_version(attribute, version: int):
    """The condition "no change bumped this counter since we read `version`" (items written
    before the counter existed have none, which reads as 0)."""
    return attribute == version if version else (attribute == 0) | attribute.does_not_exist()
