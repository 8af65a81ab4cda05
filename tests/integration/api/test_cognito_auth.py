"""Cognito mode: RS256 tokens checked against a JWKS document served from loopback."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"
KID = "test-key-1"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JwksServer:
    """A user pool's `.well-known/jwks.json` on a free loopback port; counts fetches."""

    def __init__(self, public_key, kid):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        self.document = json.dumps({"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]})
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.fetches += 1
                body = server.document.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_port}/.well-known/jwks.json"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture(scope="module")
def signing_key():
    return new_key()


@pytest.fixture(scope="module")
def jwks(signing_key):
    server = JwksServer(signing_key.public_key(), KID)
    yield server
    server.close()


@pytest.fixture
def cognito(api, jwks, monkeypatch):
    """The API switched to Cognito mode through its environment, as the CDK stack sets it."""
    from chalicelib import auth

    monkeypatch.setenv("SMARTALEX_AUTH_MODE", "cognito")
    monkeypatch.setenv("SMARTALEX_JWKS_URL", jwks.url)
    monkeypatch.setenv("SMARTALEX_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("SMARTALEX_JWT_AUDIENCE", CLIENT_ID)
    monkeypatch.delenv("SMARTALEX_TENANT_CLAIM", raising=False)
    monkeypatch.delenv("SMARTALEX_LOCAL_TOKEN_KEY")
    auth.use_verifier(None)
    return api


@pytest.fixture
def token(signing_key, tenant):
    """token(use="id", key=..., kid=..., **claims) -> a Cognito-shaped RS256 JWT."""

    def make(use="id", key=signing_key, kid=KID, algorithm="RS256", **claims):
        now = int(time.time())
        body = {"sub": "5b1f3c1e-0000-4000-8000-000000000000", "iss": ISSUER,
                "token_use": use, "custom:tenant_id": tenant, "iat": now, "exp": now + 3600,
                "auth_time": now}
        if use == "id":
            body["aud"] = CLIENT_ID
        else:
            body.update(client_id=CLIENT_ID, scope="aws.cognito.signin.user.admin")
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not ...}
        return jwt.encode(body, key, algorithm=algorithm, headers={"kid": kid})

    return make


def assert_unauthorized(reply, message_part):
    assert reply.status == 401, reply.json
    assert reply.error["code"] == "unauthorized"
    assert message_part in reply.error["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_id_token_acts_for_the_tenant_in_custom_tenant_id(cognito, token, tenant):
    from chalicelib.services import services

    created = cognito.request("POST", "/v1/trunks", token=token(), body={
        "pbx_type": "freepbx", "domain": "pbx.example.com", "extension": "1000", "password": "pw"})

    assert created.status == 201, created.json
    listed = cognito.request("GET", "/v1/trunks", token=token())
    assert listed.status == 200
    assert [t["id"] for t in listed.json["trunks"]] == [created.json["id"]]
    assert [t.trunk_id for t in services().trunks.list(tenant)] == [created.json["id"]]


def test_a_valid_access_token_is_matched_on_client_id(cognito, token):
    assert cognito.request("GET", "/v1/trunks", token=token(use="access")).status == 200


def test_the_tenant_claim_name_is_configurable(cognito, token, tenant, monkeypatch):
    from chalicelib import auth

    monkeypatch.setenv("SMARTALEX_TENANT_CLAIM", "custom:org")
    auth.use_verifier(None)

    ok = cognito.request("GET", "/v1/trunks", token=token(**{"custom:org": tenant}))
    missing = cognito.request("GET", "/v1/trunks", token=token())

    assert ok.status == 200
    assert_unauthorized(missing, "tenant claim")


def test_the_jwks_is_fetched_once_and_cached(cognito, token, jwks):
    before = jwks.fetches
    for _ in range(3):
        assert cognito.request("GET", "/v1/trunks", token=token()).status == 200

    assert jwks.fetches - before <= 1


@pytest.mark.parametrize("make, message", [
    (lambda token: token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
     "not issued by"),
    (lambda token: token(aud="another-client"), "another application client"),
    (lambda token: token(use="access", client_id="another-client"), "another application client"),
    (lambda token: token(kid="unknown-kid", key=new_key()), "key this API does not know"),
    (lambda token: token(key=new_key()), "signature does not verify"),
    (lambda token: token(exp=int(time.time()) - 600), "expired"),
    (lambda token: token(token_use=...), "lacks the 'token_use' claim"),
    (lambda token: token(use="refresh"), "ID or access token"),
    (lambda token: token(**{"custom:tenant_id": ...}), "tenant claim"),
    (lambda token: token(key="k" * 40, algorithm="HS256"), "algorithm"),
], ids=["wrong issuer", "wrong audience", "wrong client_id", "unknown kid", "forged signature",
        "expired", "no token_use", "refresh token", "no tenant", "HS256"])
def test_unacceptable_cognito_tokens_are_401(cognito, token, make, message):
    assert_unauthorized(cognito.request("GET", "/v1/trunks", token=make(token)), message)


def test_missing_cognito_settings_are_a_clear_500(cognito, token, monkeypatch):
    from chalicelib import auth

    monkeypatch.delenv("SMARTALEX_JWT_ISSUER")
    auth.use_verifier(None)

    reply = cognito.request("GET", "/v1/trunks", token=token())

    assert (reply.status, reply.error["code"]) == (500, "misconfigured")
    assert "SMARTALEX_JWT_ISSUER" in reply.error["message"]
