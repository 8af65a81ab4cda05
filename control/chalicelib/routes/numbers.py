"""Phone-number routes: bind public numbers (DIDs) to a trunk's AI extension, list, unbind."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response

from smartalex.domain.number_commands import BindPbxExtension, UnbindNumber
from smartalex.service_layer import numbers as use_cases

from .. import auth, render, render_numbers
from ..errors import api_errors
from ..inputs import checked_id, command, json_object
from ..operations import Operation
from ..render_numbers import PhoneNumberList, PhoneNumberView
from ..services import services

bp = Blueprint(__name__)
logger = Logger(service="control", child=True)

NUMBERS = "/v1/phone-numbers"
NUMBER = NUMBERS + "/{number_id}"

OPERATIONS = (
    Operation("GET", NUMBERS, "List the tenant's phone numbers and how each routes", 200,
              PhoneNumberList),
    Operation("POST", NUMBERS + "/pbx-extension",
              "Bind a public number (DID) the PBX sends to the AI extension of a register-mode "
              "trunk, and the agent answering it; a number is bound at most once", 201,
              PhoneNumberView, BindPbxExtension, (400, 409)),
    Operation("GET", NUMBER, "Get a phone number and how it routes", 200, PhoneNumberView,
              errors=(404,)),
    Operation("DELETE", NUMBER, "Unbind the number; its calls reach the trunk's own agent "
              "again", 204, errors=(404, 409)),
)


def _tenant() -> str:
    return auth.current_tenant(bp)


def checked(value: str) -> str:
    return checked_id(value, "phone number")


@bp.route(NUMBERS, methods=["GET"])
@api_errors
def list_numbers() -> Response:
    tenant, s = _tenant(), services()
    return render_numbers.numbers(use_cases.list_numbers(tenant, numbers=s.numbers,
                                                         trunks=s.trunks, agents=s.agents))


@bp.route(NUMBERS + "/pbx-extension", methods=["POST"])
@api_errors
def bind_pbx_extension() -> Response:
    tenant = _tenant()
    s = services()
    defaults = s.settings.get(tenant)  # a national-format did is read in its default country
    cmd = command(BindPbxExtension, json_object(bp.current_request), tenant_id=tenant,
                  context={"default_country": defaults.default_country})
    routing = use_cases.bind_pbx_extension(cmd, trunks=s.trunks, agents=s.agents,
                                           numbers=s.numbers, quotas=s.quotas)
    logger.info("Phone number bound", extra={"tenant": tenant,
                                             "number_id": routing.number.number_id,
                                             "trunk_id": cmd.trunk_id, "agent_id": cmd.agent_id})
    return render_numbers.number(routing, 201)


@bp.route(NUMBER, methods=["GET"])
@api_errors
def get_number(number_id: str) -> Response:
    tenant, s = _tenant(), services()
    return render_numbers.number(use_cases.get_number(tenant, checked(number_id),
                                                      numbers=s.numbers, trunks=s.trunks,
                                                      agents=s.agents))


@bp.route(NUMBER, methods=["DELETE"])
@api_errors
def unbind_number(number_id: str) -> Response:
    tenant = _tenant()
    use_cases.unbind_number(UnbindNumber(tenant_id=tenant, number_id=checked(number_id)),
                            numbers=services().numbers)
    logger.info("Phone number unbound", extra={"tenant": tenant, "number_id": number_id})
    return render.no_content()
