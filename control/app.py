"""SmartAlex control API: wiring only; the routes live in chalicelib/routes/, one blueprint per
resource.

Packaging: Chalice bundles only this file, chalicelib/ and vendor/. The domain core
(smartalex/) is not a PyPI package, so the build copies it to control/vendor/smartalex before
`chalice package`; locally it is importable because the repo is `pip install -e .`'d.
"""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger
from chalice import Chalice
from chalice.app import Request

from chalicelib.errors import to_response
from chalicelib.routes import (
    agents,
    cors,
    diagnostics,
    directory,
    docs,
    fallback,
    numbers,
    pbx_types,
    settings,
    trunks,
)

app = Chalice(app_name="smartalex-control")
# Structured JSON logs, one line per request plus what the routes log. Bodies are never
# logged: they carry SIP passwords.
logger = Logger(service="control")

app.register_blueprint(trunks.bp)
app.register_blueprint(agents.bp)
app.register_blueprint(directory.bp)
app.register_blueprint(numbers.bp)
app.register_blueprint(diagnostics.bp)
app.register_blueprint(settings.bp)
app.register_blueprint(pbx_types.bp)
app.register_blueprint(docs.bp)
fallback.install(app)  # it answers what the routes above do not take
cors.install(app)  # last: a preflight on every path, the fallback's included


@app.middleware("http")
def log_request(event: Request, get_response):
    """Tag every log line of this request with API Gateway's request id, then log the outcome.
    What Chalice answers by itself (a 405, a 415) or raises leaves here in our error format."""
    logger.clear_state()
    context = event.context or {}
    logger.set_correlation_id(context.get("requestId")
                              or getattr(event.lambda_context, "aws_request_id", None))
    started = time.perf_counter()
    try:
        fallback.check_query(event, event.path)
        response = fallback.translate(get_response(event), app, event.path)
    except Exception as exc:  # noqa: BLE001 - outside every view's api_errors
        response = to_response(exc)
    response = cors.with_cors(event, response)
    logger.info("Request handled", extra={
        "method": event.method, "route": context.get("resourcePath"),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    })
    return response
