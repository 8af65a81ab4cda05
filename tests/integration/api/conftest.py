"""The control API under chalice.test.Client, backed by the session's moto server.

Requests go through the real routes, the real DynamoDB and Secrets Manager adapters and the
real local-token verifier; only API Gateway is simulated (by Chalice's local gateway). Each
request runs as the API's own IAM identity (its role's policies); the test around it is the
admin (tests/conftest.py), so what a test checks directly is not limited by the API's role.
"""

from __future__ import annotations

import io
import json
import re
import logging
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from devstack.identities import acting_as

CONTROL = Path(__file__).resolve().parents[3] / "control"
# Appended, not prepended: chalicelib is a top-level package as in the Lambda bundle, and the
# standard library keeps precedence over anything in control/.
if str(CONTROL) not in sys.path:
    sys.path.append(str(CONTROL))

LOCAL_KEY = secrets.token_urlsafe(48)


def valid_trunk(**changes: Any) -> dict[str, Any]:
    body = {"pbx_type": "asterisk", "domain": "pbx.example.com", "extension": "1000",
            "password": "correct horse battery staple"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error(self) -> dict[str, Any]:
        return self.json["error"]


@dataclass
class Api:
    """A thin HTTP client over chalice's test gateway that remembers every reply."""

    http: Any
    identity: Any  # devstack.identities.Identity of the API
    replies: list[Reply] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None, *, tenant: str | None = None,
                token: str | None = None, raw: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        from chalicelib.auth import issue_local_token

        headers = {"Content-Type": "application/json", **(headers or {})}
        if tenant is not None:
            token = issue_local_token(tenant, LOCAL_KEY)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        with acting_as(self.identity):
            response = self.http.request(method, path, headers=headers, body=data)
        reply = Reply(response.status_code, dict(response.headers), response.body or b"")
        self.replies.append(reply)
        return reply

    def as_tenant(self, tenant: str) -> "TenantApi":
        return TenantApi(self, tenant)


@dataclass
class TenantApi:
    api: Api
    tenant: str

    def get(self, path: str, **kw: Any) -> Reply:
        return self.api.request("GET", path, tenant=self.tenant, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.api.request("POST", path, body, tenant=self.tenant, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.api.request("PATCH", path, body, tenant=self.tenant, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.api.request("PUT", path, body, tenant=self.tenant, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.api.request("DELETE", path, tenant=self.tenant, **kw)

    def create(self, **changes: Any) -> dict[str, Any]:
        reply = self.post("/v1/trunks", valid_trunk(**changes))
        assert reply.status == 201, reply.json
        return reply.json


@pytest.fixture
def app():
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def api(aws_endpoint, app, monkeypatch, tmp_path):
    """The API in local-token mode. The project dir has no .chalice/config.json on purpose:
    the dev stage's environment (Cognito mode, stage name) must not apply to the tests."""
    from chalicelib import auth, services

    monkeypatch.setenv("SMARTALEX_AUTH_MODE", "local")
    monkeypatch.setenv("SMARTALEX_LOCAL_TOKEN_KEY", LOCAL_KEY)
    auth.use_verifier(None)
    services.use_services(None)
    with Client(app, project_dir=str(tmp_path)) as client:
        yield Api(client.http, aws_endpoint["identities"]["api"])
    auth.use_verifier(None)
    services.use_services(None)


@pytest.fixture
def alice(api, tenant) -> TenantApi:
    return api.as_tenant(tenant)


@pytest.fixture
def bob(api, alice) -> TenantApi:
    """Another tenant, for isolation checks."""
    return api.as_tenant(f"{alice.tenant}-bob")


MARK = "qz9x"  # marks values that must not be echoed in errors
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")  # timestamps as the API writes them


def assert_rejected(reply, field, message):
    """A 400 naming `field`, whose message starts with `message` and never echoes the input."""
    assert reply.status == 400, reply.json
    assert reply.error["code"] == "invalid_input"
    assert reply.error["field"] == field
    assert reply.error["message"].startswith(message), reply.error["message"]
    assert "Value error" not in reply.error["message"]
    assert MARK not in reply.body.decode(), "the error echoes the input"


@pytest.fixture
def log_output(app):
    """Everything the API logs, as the JSON lines powertools writes (its own formatter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    control = logging.getLogger("control")
    handler.setFormatter(control.handlers[0].formatter)
    control.addHandler(handler)
    yield stream
    control.removeHandler(handler)


class Storage:
    """Direct reads of what the API wrote, bypassing the API."""

    def __init__(self):
        from smartalex.adapters import aws, names

        self.dynamodb = aws.client("dynamodb")
        self.secretsmanager = aws.client("secretsmanager")
        self.secret_prefix = names.secret_prefix()

    def items(self, table: str) -> list[dict]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=table)
        return [item for page in pages for item in page["Items"]]

    def all_items(self) -> dict[str, list[dict]]:
        return {t: self.items(t) for t in self.dynamodb.list_tables()["TableNames"]}

    def counts(self) -> dict[str, int]:
        """Items per table (a COUNT scan: the tables hold the whole session's items)."""
        return {table: sum(page["Count"] for page in self.dynamodb.get_paginator("scan")
                           .paginate(TableName=table, Select="COUNT"))
                for table in self.dynamodb.list_tables()["TableNames"]}

    def secret_names(self) -> set[str]:
        pages = self.secretsmanager.get_paginator("list_secrets").paginate(
            Filters=[{"Key": "name", "Values": [self.secret_prefix]}])
        return {s["Name"] for page in pages for s in page["SecretList"]}

    def password(self, trunk_id: str) -> str:
        value = self.secretsmanager.get_secret_value(SecretId=f"{self.secret_prefix}/{trunk_id}")
        return json.loads(value["SecretString"])["password"]


@pytest.fixture
def storage(aws_endpoint) -> Storage:
    return Storage()
