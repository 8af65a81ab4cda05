"""The OpenAPI document, public so that tools can fetch it without a token."""

from __future__ import annotations

from chalice import Blueprint

from .. import openapi
from ..errors import api_errors

bp = Blueprint(__name__)


@bp.route("/v1/openapi.json", methods=["GET"])
@api_errors
def get_openapi() -> dict:
    return openapi.document()
