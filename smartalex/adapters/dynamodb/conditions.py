"""Conditions the repositories share, and recognising a failed one (the one storage error they
expect)."""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model


def is_conditional_failure(exc: Exception) -> bool:
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def save_new(item: Model, condition) -> bool:
    """Put `item` on `condition` (that it does not exist yet); False if the condition failed,
    which is how the repositories store something once or refuse a duplicate."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True


def same_version(attribute, version: int):
    """The condition "no change bumped this counter since we read `version`" (items written
    before the counter existed have none, which reads as 0)."""
    return attribute == version if version else (attribute == 0) | attribute.does_not_exist()
