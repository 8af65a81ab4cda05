"""What each route module declares about its routes, for the OpenAPI document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "Invalid input: `error.field` names the offending field",
    401: "Missing, invalid or expired bearer token",
    404: "No such resource for this tenant",
    409: "Conflicts with existing data (a duplicate), a concurrent change, or the tenant's "
         "quota (`error.code` quota_exceeded: the message gives the limit)",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    status: int
    response: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    auth: bool = True
    query: tuple[dict[str, Any], ...] = field(default=())
