"""`python -m devstack token --tenant NAME`: a bearer token the local API accepts."""

from __future__ import annotations

from .state import local_token_key


def token_for(tenant: str, ttl_seconds: int = 30 * 24 * 3600) -> str:
    from control.chalicelib.auth import issue_local_token

    return issue_local_token(tenant, local_token_key(), ttl_seconds=ttl_seconds)
