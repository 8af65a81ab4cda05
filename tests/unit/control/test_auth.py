"""Local tokens, the Bearer header, tenant names and choosing a verifier from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chalicelib import auth

KEY = "unit-test-key-" + "x" * 32
ROOT = Path(__file__).resolve().parents[3]


def test_a_local_token_carries_its_tenant():
    token = auth.issue_local_token("acme.eu-1", KEY)

    assert auth.LocalVerifier(KEY).tenant(token) == "acme.eu-1"


def test_a_local_token_has_sub_iat_and_exp():
    import jwt

    claims = jwt.decode(auth.issue_local_token("acme", KEY, ttl_seconds=60, now=1_000_000), KEY,
                        algorithms=["HS256"], options={"verify_exp": False},
                        issuer=auth.LOCAL_ISSUER)

    assert claims == {"iss": "smartalex-local", "sub": "local:acme", "tenant": "acme",
                      "iat": 1_000_000, "exp": 1_000_060}


def test_an_expired_local_token_is_refused():
    token = auth.issue_local_token("acme", KEY, ttl_seconds=60, now=1_000_000)

    with pytest.raises(auth.AuthenticationFailed, match="expired"):
        auth.LocalVerifier(KEY).tenant(token)


@pytest.mark.parametrize("key", ["", "short"])
def test_local_mode_needs_a_long_enough_key(key):
    with pytest.raises(auth.ConfigurationError, match="SMARTALEX_LOCAL_TOKEN_KEY"):
        auth.LocalVerifier(key)


@pytest.mark.parametrize("tenant", ["", "a b", "a/b", "t" * 65, "ünïcode"])
def test_invalid_tenant_names_get_no_token(tenant):
    with pytest.raises(ValueError, match="tenant"):
        auth.issue_local_token(tenant, KEY)


@pytest.mark.parametrize("tenant", ["a", "A-1_b.c", "t" * 64])
def test_valid_tenant_names_pass(tenant):
    assert auth.check_tenant(tenant) == tenant


@pytest.mark.parametrize("header, message", [
    (None, "Missing Authorization header"),
    ("", "Missing Authorization header"),
    ("Basic abc", "Bearer scheme"),
    ("Bearer", "Bearer scheme"),
    ("Bearer   ", "Bearer scheme"),
])
def test_the_authorization_header_must_be_a_bearer_token(header, message):
    with pytest.raises(auth.AuthenticationFailed, match=message):
        auth.bearer_token(header)


def test_the_bearer_scheme_is_case_insensitive():
    assert auth.bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_the_verifier_defaults_to_local_mode():
    verifier = auth.verifier_from_env({"SMARTALEX_LOCAL_TOKEN_KEY": KEY})

    assert isinstance(verifier, auth.LocalVerifier)


def test_cognito_mode_builds_a_jwks_verifier_without_fetching():
    verifier = auth.verifier_from_env({
        "SMARTALEX_AUTH_MODE": "cognito", "SMARTALEX_JWKS_URL": "http://127.0.0.1:9/jwks.json",
        "SMARTALEX_JWT_ISSUER": "https://issuer", "SMARTALEX_JWT_AUDIENCE": "client"})

    assert isinstance(verifier, auth.CognitoVerifier)


def test_cognito_mode_names_every_missing_setting():
    with pytest.raises(auth.ConfigurationError) as caught:
        auth.verifier_from_env({"SMARTALEX_AUTH_MODE": "cognito"})

    for name in ("SMARTALEX_JWKS_URL", "SMARTALEX_JWT_ISSUER", "SMARTALEX_JWT_AUDIENCE"):
        assert name in str(caught.value)


def test_an_unknown_auth_mode_is_a_configuration_error():
    with pytest.raises(auth.ConfigurationError, match="SMARTALEX_AUTH_MODE"):
        auth.verifier_from_env({"SMARTALEX_AUTH_MODE": "none"})


def run_cli(*args, key=None):
    env = {k: v for k, v in os.environ.items() if k != "SMARTALEX_LOCAL_TOKEN_KEY"}
    if key is not None:
        env["SMARTALEX_LOCAL_TOKEN_KEY"] = key
    return subprocess.run([sys.executable, "-m", "control.chalicelib.token_cli", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_token_cli_prints_a_token_the_verifier_accepts():
    result = run_cli("--tenant", "acme", key=KEY)

    assert result.returncode == 0, result.stderr
    assert auth.LocalVerifier(KEY).tenant(result.stdout.strip()) == "acme"


def test_the_token_cli_explains_a_missing_key():
    result = run_cli("--tenant", "acme")

    assert result.returncode == 2
    assert "SMARTALEX_LOCAL_TOKEN_KEY" in result.stderr
    assert result.stdout == ""
