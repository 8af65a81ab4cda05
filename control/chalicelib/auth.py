"""Who is calling: a bearer JWT in, a tenant name out.

One verifier object serves every route. `SMARTALEX_AUTH_MODE` picks it: `local` (HS256 tokens
signed with `SMARTALEX_LOCAL_TOKEN_KEY`, for the dev stack and tests) or `cognito` (RS256 tokens
from a Cognito user pool, checked against its JWKS). The tenant always comes from the token,
never from a request body. Tests replace the verifier with `use_verifier`.
"""

from __future__ import annotations

import os
import re
import time
from abc import ABC, abstractmethod
from typing import Any, Mapping

import jwt

TENANT_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
LOCAL_ISSUER = "smartalex-local"
MIN_LOCAL_KEY_LENGTH = 32  # RFC 7518 §3.2: an HS256 key must have at least 256 bits
# Cognito and Lambda clocks are both NTP-synced; this only absorbs small skew.
LEEWAY_SECONDS = 30


class AuthenticationFailed(Exception):
    """No usable bearer token; answered 401. The message is safe to show the caller."""


class ConfigurationError(RuntimeError):
    """An auth setting is missing from the deployment; answered 500 and logged."""


class Verifier(ABC):
    @abstractmethod
    def tenant(self, token: str) -> str:
        """Verify `token` and return its tenant, or raise AuthenticationFailed."""


def check_tenant(value: Any) -> str:
    if not isinstance(value, str) or not TENANT_PATTERN.match(value):
        raise AuthenticationFailed(
            "The token's tenant claim is missing or not a valid tenant name "
            "(1-64 letters, digits, '_', '.' or '-')."
        )
    return value


class LocalVerifier(Verifier):
    def __init__(self, key: str):
        if len(key or "") < MIN_LOCAL_KEY_LENGTH:
            raise ConfigurationError(
                "SMARTALEX_LOCAL_TOKEN_KEY must be set to at least "
                f"{MIN_LOCAL_KEY_LENGTH} characters when SMARTALEX_AUTH_MODE is 'local'."
            )
        self._key = key

    def tenant(self, token: str) -> str:
        claims = _decode(token, self._key, algorithms=["HS256"], issuer=LOCAL_ISSUER,
                         options={"require": ["exp", "iat", "sub", "iss"]})
        return check_tenant(claims.get("tenant"))


class CognitoVerifier(Verifier):
    """Cognito ID tokens carry the app client id in `aud`, access tokens in `client_id`."""

    def __init__(self, jwks_url: str, issuer: str, audience: str,
                 tenant_claim: str = "custom:tenant_id", jwks_client: Any = None):
        missing = [name for name, value in (("SMARTALEX_JWKS_URL", jwks_url),
                                            ("SMARTALEX_JWT_ISSUER", issuer),
                                            ("SMARTALEX_JWT_AUDIENCE", audience)) if not value]
        if missing:
            raise ConfigurationError(
                f"{', '.join(missing)} must be set when SMARTALEX_AUTH_MODE is 'cognito'.")
        self._issuer, self._audience = issuer, audience
        self._claim = tenant_claim or "custom:tenant_id"
        # The JWK set is cached per container; an unknown `kid` refetches at most every 30 s.
        self._jwks = jwks_client or jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600,
                                                    timeout=5)

    def tenant(self, token: str) -> str:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise  # our side cannot reach the JWKS: a 500, not the caller's fault
        except jwt.PyJWKClientError:
            raise AuthenticationFailed(
                "The token is signed with a key this API does not know.") from None
        except jwt.InvalidTokenError:
            raise AuthenticationFailed("The token is malformed.") from None
        claims = _decode(token, key, algorithms=["RS256"], issuer=self._issuer,
                         options={"require": ["exp", "iss", "token_use"], "verify_aud": False})
        use = claims.get("token_use")
        if use == "id":
            audience = claims.get("aud")
            ok = self._audience in (audience if isinstance(audience, list) else [audience])
        elif use == "access":
            ok = claims.get("client_id") == self._audience
        else:
            raise AuthenticationFailed("The token must be a Cognito ID or access token.")
        if not ok:
            raise AuthenticationFailed("The token was issued for another application client.")
        return check_tenant(claims.get(self._claim))


_MESSAGES = (
    (jwt.ExpiredSignatureError, "The token has expired; sign in again to get a new one."),
    (jwt.ImmatureSignatureError, "The token is not valid yet; check the issuer's clock."),
    (jwt.InvalidIssuerError, "The token was not issued by the identity provider this API trusts."),
    (jwt.InvalidSignatureError, "The token's signature does not verify."),
    (jwt.InvalidAlgorithmError, "The token is signed with an algorithm this API does not accept."),
    (jwt.DecodeError, "The token is malformed."),
)


def _decode(token: str, key: Any, **kwargs: Any) -> dict:
    try:
        return jwt.decode(token, key, leeway=LEEWAY_SECONDS, **kwargs)
    except jwt.MissingRequiredClaimError as exc:
        raise AuthenticationFailed(f"The token lacks the '{exc.claim}' claim.") from None
    except jwt.InvalidTokenError as exc:
        message = next((m for kind, m in _MESSAGES if isinstance(exc, kind)),
                       "The token is invalid.")
        raise AuthenticationFailed(message) from None


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationFailed(
            "Missing Authorization header; send 'Authorization: Bearer <token>'.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("The Authorization header must use the Bearer scheme.")
    return token.strip()


def verifier_from_env(env: Mapping[str, str] | None = None) -> Verifier:
    env = os.environ if env is None else env
    mode = env.get("SMARTALEX_AUTH_MODE") or "local"
    if mode == "local":
        return LocalVerifier(env.get("SMARTALEX_LOCAL_TOKEN_KEY", ""))
    if mode == "cognito":
        return CognitoVerifier(env.get("SMARTALEX_JWKS_URL", ""),
                               env.get("SMARTALEX_JWT_ISSUER", ""),
                               env.get("SMARTALEX_JWT_AUDIENCE", ""),
                               env.get("SMARTALEX_TENANT_CLAIM", "custom:tenant_id"))
    raise ConfigurationError("SMARTALEX_AUTH_MODE must be 'local' or 'cognito'.")


_verifier: Verifier | None = None


def verifier() -> Verifier:
    """Built on first use, so a missing setting is reported per request instead of
    failing the Lambda's import (which API Gateway would only show as a bare 502)."""
    global _verifier
    if _verifier is None:
        _verifier = verifier_from_env()
    return _verifier


def use_verifier(replacement: Verifier | None) -> None:
    """Swap the verifier (tests); None rebuilds it from the environment on next use."""
    global _verifier
    _verifier = replacement


def authenticate(headers: Mapping[str, str]) -> str:
    """The caller's tenant, from the request's `Authorization: Bearer` header."""
    return verifier().tenant(bearer_token(headers.get("authorization")))


def issue_local_token(tenant: str, key: str, ttl_seconds: int = 12 * 3600,
                      now: float | None = None) -> str:
    """A token LocalVerifier accepts, for the dev stack (`make token`) and tests."""
    LocalVerifier(key)  # same key rules as the verifier
    if not TENANT_PATTERN.match(tenant or ""):
        raise ValueError("tenant must be 1-64 letters, digits, '_', '.' or '-'")
    issued = int(time.time() if now is None else now)
    claims = {"iss": LOCAL_ISSUER, "sub": f"local:{tenant}", "tenant": tenant,
              "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, key, algorithm="HS256")


def current_tenant(blueprint) -> str:
    """The tenant of the request a blueprint's route is serving."""
    return authenticate(blueprint.current_request.headers)
