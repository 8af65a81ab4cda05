"""Diagnostics routes: one view per phone number, and one per trunk (read-only)."""

from __future__ import annotations

from chalice import Blueprint, Response

from smartalex.domain.diagnostics import CALLS_SHOWN, ERRORS_SHOWN
from smartalex.service_layer import diagnostics as use_cases

from .. import auth, render_numbers
from ..errors import api_errors
from ..inputs import checked_id
from ..operations import Operation
from ..render_numbers import WINDOW_HOURS, DiagnosticsView
from ..services import services
from . import numbers, trunks

bp = Blueprint(__name__)

NUMBER_DIAGNOSTICS = numbers.NUMBER + "/diagnostics"
TRUNK_DIAGNOSTICS = trunks.TRUNK + "/diagnostics"

OPERATIONS = (
    Operation("GET", NUMBER_DIAGNOSTICS, "Diagnostics of a phone number: its trunk's live "
              f"health, the last {CALLS_SHOWN} calls to the number and the last {ERRORS_SHOWN} "
              f"errors of its trunk ({WINDOW_HOURS} h)", 200, DiagnosticsView, errors=(404,)),
    Operation("GET", TRUNK_DIAGNOSTICS, f"Diagnostics of a trunk: live health, the last "
              f"{CALLS_SHOWN} calls it received (any line) and its last {ERRORS_SHOWN} errors "
              f"({WINDOW_HOURS} h)", 200, DiagnosticsView, errors=(404,)),
)


def _tenant() -> str:
    return auth.current_tenant(bp)


def _trunk(value: str) -> str:
    return checked_id(value, "trunk")


@bp.route(NUMBER_DIAGNOSTICS, methods=["GET"])
@api_errors
def number_diagnostics(number_id: str) -> Response:
    tenant, s = _tenant(), services()
    return render_numbers.diagnostics(use_cases.number_diagnostics(
        tenant, numbers.checked(number_id), numbers=s.numbers, trunks=s.trunks, calls=s.calls,
        errors=s.errors))


@bp.route(TRUNK_DIAGNOSTICS, methods=["GET"])
@api_errors
def trunk_diagnostics(trunk_id: str) -> Response:
    tenant, s = _tenant(), services()
    return render_numbers.diagnostics(use_cases.trunk_diagnostics(
        tenant, _trunk(trunk_id), trunks=s.trunks, calls=s.calls, errors=s.errors))
