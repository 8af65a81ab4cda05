"""Local-token authentication, and tenant isolation on every route."""

from __future__ import annotations

import time

import jwt
import pytest

from .conftest import LOCAL_KEY

FAKE_ID = "trk_00000000000000000000"
FAKE_AGENT_ID = "agt_00000000000000000000"


def protected_routes(app):
    from chalicelib.routes.fallback import is_fallback

    return [(method, path.replace("{trunk_id}", FAKE_ID).replace("{agent_id}", FAKE_AGENT_ID))
            for path, methods in sorted(app.routes.items())
            for method, entry in sorted(methods.items())
            if path != "/v1/openapi.json" and not is_fallback(entry)]


def assert_unauthorized(reply, message_part):
    assert reply.status == 401, reply.json
    assert reply.error["code"] == "unauthorized"
    assert reply.error["field"] is None
    assert message_part in reply.error["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def local_token(claims, key=LOCAL_KEY, algorithm="HS256"):
    now = int(time.time())
    base = {"iss": "smartalex-local", "sub": "local:t", "tenant": "acme", "iat": now,
            "exp": now + 600}
    return jwt.encode({k: v for k, v in {**base, **claims}.items() if v is not ...}, key,
                      algorithm=algorithm)


def test_every_route_but_the_openapi_document_requires_a_token(api, app):
    from chalicelib.openapi import OPERATIONS

    routes = protected_routes(app)
    assert len(routes) == len([op for op in OPERATIONS if op.auth]) >= 13

    for method, path in routes:
        assert_unauthorized(api.request(method, path, {}), "Missing Authorization header")


def test_a_non_bearer_scheme_is_401(api):
    reply = api.request("GET", "/v1/trunks", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})

    assert_unauthorized(reply, "must use the Bearer scheme")


def test_a_token_signed_with_another_key_is_401(api, tenant):
    from chalicelib.auth import issue_local_token

    reply = api.request("GET", "/v1/trunks", token=issue_local_token(tenant, "k" * 40))

    assert_unauthorized(reply, "signature does not verify")


def test_an_expired_token_is_401(api, tenant):
    from chalicelib.auth import issue_local_token

    token = issue_local_token(tenant, LOCAL_KEY, ttl_seconds=600, now=time.time() - 3600)

    assert_unauthorized(api.request("GET", "/v1/trunks", token=token), "expired")


@pytest.mark.parametrize("token, message", [
    ("not-a-jwt", "malformed"),
    (local_token({"tenant": ...}), "tenant claim"),
    (local_token({"tenant": "two words"}), "tenant claim"),
    (local_token({"tenant": "t" * 65}), "tenant claim"),
    (local_token({"exp": ...}), "lacks the 'exp' claim"),
    (local_token({"iss": "someone-else"}), "not issued by"),
    (local_token({}, key=None, algorithm="none"), "algorithm"),
], ids=["malformed", "no tenant", "bad tenant", "long tenant", "no exp", "wrong issuer",
        "alg none"])
def test_unacceptable_tokens_are_401(api, token, message):
    assert_unauthorized(api.request("GET", "/v1/trunks", token=token), message)


def test_a_missing_local_token_key_is_a_clear_500(api, tenant, monkeypatch):
    from chalicelib import auth

    monkeypatch.delenv("SMARTALEX_LOCAL_TOKEN_KEY")
    auth.use_verifier(None)

    reply = api.request("GET", "/v1/trunks", token="whatever")

    assert reply.status == 500
    assert reply.error["code"] == "misconfigured"
    assert "SMARTALEX_LOCAL_TOKEN_KEY" in reply.error["message"]


def not_found(trunk_id):
    return {"code": "not_found", "message": f"No trunk {trunk_id}.", "field": None}


def test_another_tenants_trunk_is_404_on_every_route_and_stays_unchanged(api, alice, storage):
    trunk = alice.create()
    bob = api.as_tenant(f"{alice.tenant}-bob")
    path = f"/v1/trunks/{trunk['id']}"

    replies = {
        "get": bob.get(path),
        "patch": bob.patch(path, {"label": "mine now", "password": "bobs password"}),
        "reregister": bob.post(path + "/reregister"),
        "delete": bob.delete(path),
    }

    for name, reply in replies.items():
        assert (name, reply.status, reply.error) == (name, 404, not_found(trunk["id"]))
    assert bob.get("/v1/trunks").json == {"trunks": []}
    assert alice.get(path).json == trunk
    assert storage.password(trunk["id"]) == "correct horse battery staple"


def test_another_tenants_trunk_looks_exactly_like_an_unknown_one(api, alice):
    trunk = alice.create()
    alice.delete(f"/v1/trunks/{trunk['id']}")
    gone = alice.get(f"/v1/trunks/{trunk['id']}")
    other = api.as_tenant(f"{alice.tenant}-bob").create()

    reply = alice.get(f"/v1/trunks/{other['id']}")

    assert reply.status == gone.status == 404
    assert reply.error == not_found(other["id"])
    assert gone.error == not_found(trunk["id"])


def test_tenants_see_only_their_own_trunks_in_lists(api, alice):
    mine = alice.create(extension="1000")
    bob = api.as_tenant(f"{alice.tenant}-bob")
    theirs = bob.create(extension="1001")

    assert alice.get("/v1/trunks").json == {"trunks": [mine]}
    assert bob.get("/v1/trunks").json == {"trunks": [theirs]}
