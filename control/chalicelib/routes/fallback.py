"""Answers, in the product's error format, for requests no operation takes.

Left alone, what answers them is not ours: `chalice local` (make run) answers an unknown path
with a 403 that repeats the caller's Authorization header verbatim, API Gateway with a 403
"Missing Authentication Token" (and, when a bearer token is sent, a message quoting it or a
hash of it), and Chalice a 405 or 415 in its own `{"Code", "Message"}` shape that repeats the
method or the Content-Type header. So the app answers them itself:

- every path of the API takes every common method: the ones no operation has answer
  405 `method_not_allowed` with an `Allow` header;
- paths of up to `CATCH_ALL_DEPTH` segments that match no operation answer 404 `not_found`
  (chalice local matches a route only with as many segments as the path, and has no greedy
  `{proxy+}`, hence one catch-all per depth);
- `translate()` turns what Chalice still answers itself (its 405 for HEAD, its 415) into the
  same format, in the app's middleware, and `check_query()` refuses query parameters an
  operation does not take, as unknown body fields are.

In deployed stages API Gateway routes first: a path under /v1 that matches no resource never
reaches the app, and its Gateway Responses (infra/cdk/stacks/api.py) answer 404 in this same
format without quoting any header. These routes are not operations: openapi.py leaves them out.
"""

from __future__ import annotations

from typing import Any

from chalice import Chalice, Response

from smartalex.domain.errors import InvalidInput

from ..errors import INTERNAL, error_response
from ..inputs import field_name

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# The deepest operation has 5 segments (/v1/trunks/{id}/directory/{extension}); a few more
# cover typos of it. Deeper unknown paths get chalice local's own 403 (not deployed stages').
CATCH_ALL_DEPTH = 8
NO_SUCH_PATH = ("No such path. The API's paths are listed in its OpenAPI document, "
                "GET /v1/openapi.json.")
ANY_CONTENT = ["*/*"]  # so that Chalice's own 415 check cannot answer before these views


def catch_all_paths() -> list[str]:
    return ["/"] + ["".join(f"/{{segment{i}}}" for i in range(1, depth + 1))
                    for depth in range(1, CATCH_ALL_DEPTH + 1)]


NOT_FOUND, METHOD_NOT_ALLOWED = "not_found", "method_not_allowed"  # the views' names


def is_fallback(entry: Any) -> bool:
    """Whether a route entry of app.routes is one of these answers or a CORS preflight
    (routes/cors.py), not an operation."""
    return entry.view_name in (NOT_FOUND, METHOD_NOT_ALLOWED, "cors_preflight")


def install(app: Chalice) -> None:
    """Call once, after every blueprint is registered."""
    def method_not_allowed_view(**_ids: str) -> Response:
        return method_not_allowed(allowed(app, app.current_request.path))

    def not_found_view(**_segments: str) -> Response:
        return error_response(404, "not_found", NO_SUCH_PATH)

    for path in list(app.routes):
        missing = [m for m in METHODS if m not in app.routes[path]]
        if missing:
            app.route(path, methods=missing, content_types=ANY_CONTENT,
                      name=METHOD_NOT_ALLOWED)(method_not_allowed_view)
    for path in catch_all_paths():
        if path not in app.routes:
            app.route(path, methods=list(METHODS), content_types=ANY_CONTENT,
                      name=NOT_FOUND)(not_found_view)


def allowed(app: Chalice, path: str) -> list[str]:
    """The methods `path` has operations for."""
    return sorted(m for m, entry in app.routes.get(path, {}).items() if not is_fallback(entry))


def method_not_allowed(methods: list[str]) -> Response:
    listed = ", ".join(methods)
    return error_response(405, "method_not_allowed",
                          f"This path does not take that method; it takes {listed}.",
                          headers={"Allow": listed})


def check_query(request: Any, path: str | None) -> None:
    """InvalidInput naming a query parameter the operation does not take (as for an unknown
    body field: a typo such as ?mdoe=register must not pass silently as "no filter")."""
    from ..openapi import OPERATIONS  # the one list of what each operation takes

    given = set(request.query_params or {})
    if not given:
        return
    declared = {(op.method, op.path): {q["name"] for q in op.query} for op in OPERATIONS}
    allowed = declared.get((request.method, path))
    if allowed is None:
        return  # not an operation: the fallback answers it
    unknown = sorted(given - allowed)
    if unknown:
        name = field_name(unknown[0])
        takes = f"; it takes {', '.join(sorted(allowed))}" if allowed else "; it takes none"
        raise InvalidInput(f"{name or 'A query parameter'} is not a query parameter of this "
                           f"operation{takes}.", field=name)


def translate(response: Response, app: Chalice, path: str | None) -> Response:
    """Chalice's own error answers (`{"Code", "Message"}`) in the product's format, without
    repeating what the request sent."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    status = response.status_code
    if status == 405:
        return method_not_allowed(allowed(app, path) if path else [])
    if status == 415:
        return error_response(415, "unsupported_media_type",
                              "Send the request body as JSON, with "
                              "Content-Type: application/json.")
    if status >= 500:
        return error_response(500, "internal", INTERNAL)
    return error_response(status, "rejected", "The request was refused before it reached "
                                              "the API's code; check the method, path and "
                                              "headers against GET /v1/openapi.json.")
