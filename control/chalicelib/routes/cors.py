"""CORS for the admin console, whose pages come from another origin than the API.

Only the console's origin, `SMARTALEX_CONSOLE_ORIGIN` (set per stage: the CloudFront domain by
the CDK app, http://127.0.0.1:8080 by `make run`), gets CORS headers; any other origin gets
none, so a browser on another site cannot read an answer even with a stolen token. Unset, the
API answers no preflight and sends no CORS header at all.

Chalice's own `cors=` cannot do this: `chalice package` bakes the origin into API Gateway mock
integrations at package time, when the CloudFront domain is still a CDK token. So the preflight
is an OPTIONS view of the app's on every path, as the fallback's 405s are, and the middleware
adds the response headers (`with_cors`).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from chalice import Chalice, Response

from ..errors import error_response
from .fallback import ANY_CONTENT, METHODS, allowed

PREFLIGHT = "cors_preflight"  # the view's name (fallback.is_fallback leaves it out of the API)
ALLOWED_HEADERS = "Authorization, Content-Type"
MAX_AGE_SECONDS = "600"  # Chromium caps a preflight's cache at 2 hours; 10 min is plenty


def console_origin(env: Mapping[str, str] | None = None) -> str | None:
    origin = (os.environ if env is None else env).get("SMARTALEX_CONSOLE_ORIGIN", "").strip()
    return origin.rstrip("/") or None


def _origin_of(request: Any) -> str | None:
    headers = getattr(request, "headers", None) or {}
    return headers.get("origin")


def install(app: Chalice) -> None:
    """Call after every blueprint and the fallback are registered: every path answers OPTIONS."""
    def preflight_view(**_ids: str) -> Response:
        request = app.current_request
        origin, expected = _origin_of(request), console_origin()
        if expected is None or origin != expected:
            return error_response(403, "origin_not_allowed",
                                  "Cross-origin requests are accepted from the SmartAlex console "
                                  "only (SMARTALEX_CONSOLE_ORIGIN).")
        # An unknown path: let the request through, its 404 is readable to the console.
        methods = allowed(app, request.path) or list(METHODS)
        return Response(body="", status_code=204, headers={
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": MAX_AGE_SECONDS,
        })

    for path in list(app.routes):
        if "OPTIONS" not in app.routes[path]:
            app.route(path, methods=["OPTIONS"], content_types=ANY_CONTENT,
                      name=PREFLIGHT)(preflight_view)


def with_cors(request: Any, response: Response) -> Response:
    """`response` with CORS headers when the request comes from the console's origin."""
    origin, expected = _origin_of(request), console_origin()
    headers = dict(response.headers or {})
    headers["Vary"] = "Origin"
    if expected is not None and origin == expected:
        headers["Access-Control-Allow-Origin"] = expected
    response.headers = headers
    return response
