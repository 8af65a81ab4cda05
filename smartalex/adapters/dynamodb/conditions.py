"""Recognising a failed DynamoDB condition, the one storage error the repositories expect."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError


def is_conditional_failure(exc: Exception) -> bool:
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
