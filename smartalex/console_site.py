"""What the admin console's site serves besides its built files, defined once for both hosts:
CloudFront in deployed stages (infra/cdk/stacks/console.py) and `make run`'s local server
(devstack/console.py).

- `config.json`, read by the console at start: where the API is and how to sign in. Local
  stages pass the demo tenant's token in the URL fragment instead (browsers never send a
  fragment to a server, so no server or log sees it).
- The security headers on every answer, a Content-Security-Policy among them: the console
  runs only its own scripts and styles and talks only to the API and the sign-in domain.
"""

from __future__ import annotations

from typing import Iterable

CONFIG_FILE = "config.json"


def local_config(api_url: str, stage: str) -> dict:
    return {"apiUrl": api_url, "stage": stage, "auth": {"mode": "local"}}


def cognito_config(api_url: str, stage: str, *, domain: str, client_id: str,
                   redirect_uri: str) -> dict:
    """Authorization code with PKCE through the user pool's hosted UI at `domain`."""
    return {"apiUrl": api_url, "stage": stage,
            "auth": {"mode": "cognito", "domain": domain, "clientId": client_id,
                     "redirectUri": redirect_uri, "scopes": ["openid", "email"]}}


def content_security_policy(connect_to: Iterable[str]) -> str:
    """Only the site's own scripts, styles and images; requests to itself and `connect_to`
    (the API's origin, the sign-in domain); never framed."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect_to],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


# Beside the CSP. Strict-Transport-Security only where the site is served over HTTPS.
FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "no-referrer"
HSTS_MAX_AGE_SECONDS = 63072000  # two years, subdomains included
# The CDK app sets these as custom headers (CloudFront has no typed field for them).
OTHER_HEADERS = {
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def security_headers(connect_to: Iterable[str], https: bool) -> dict[str, str]:
    """Every header as a plain server sends it (the local site; tests compare CloudFront's)."""
    headers = {
        "Content-Security-Policy": content_security_policy(connect_to),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
        **OTHER_HEADERS,
    }
    if https:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
    return headers
