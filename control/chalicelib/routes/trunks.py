"""Trunk routes: authenticate, validate the body into a command, call the use case, render."""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response

from smartalex.domain.assignment import FleetRoom
from smartalex.domain.commands import CreateTrunk, DeleteTrunk, ReregisterTrunk, UpdateTrunk
from smartalex.domain.errors import InvalidInput
from smartalex.domain.trunk import Trunk
from smartalex.bootstrap import Services
from smartalex.service_layer import trunks as use_cases

from .. import auth, render
from ..render import TrunkList, TrunkView
from ..operations import Operation
from ..errors import api_errors
from ..inputs import checked_id, command, json_object
from ..services import services

bp = Blueprint(__name__)
logger = Logger(service="control", child=True)

# Every trunk registers on the PBX as an extension today; other modes (e.g. a SIP trunk
# with its own DIDs) would be listed here.
MODES = ("register",)
MODE = {"name": "mode", "in": "query", "required": False,
        "description": "Only trunks in this mode; every trunk registers as an extension today.",
        "schema": {"type": "string", "enum": list(MODES)}}
TRUNK = "/v1/trunks/{trunk_id}"

OPERATIONS = (
    Operation("POST", "/v1/trunks", "Create a trunk: the AI registers as this extension",
              201, TrunkView, CreateTrunk, (400, 409)),
    Operation("GET", "/v1/trunks", "List the tenant's trunks", 200, TrunkList, errors=(400,),
              query=(MODE,)),
    Operation("GET", TRUNK, "Get a trunk and its registration status", 200, TrunkView,
              errors=(404,)),
    Operation("PATCH", TRUNK, "Change a trunk; changing how it registers re-registers it",
              200, TrunkView, UpdateTrunk, (400, 404, 409)),
    Operation("DELETE", TRUNK, "Delete a trunk; the AI un-registers. Refused (409) while phone "
              "numbers are bound to it", 204, errors=(404, 409)),
    Operation("POST", TRUNK + "/reregister", "Re-register the trunk now", 202, TrunkView,
              errors=(404, 409)),
)


def _tenant() -> str:
    return auth.current_tenant(bp)


def _checked(value: str) -> str:
    return checked_id(value, "trunk")


@bp.route("/v1/trunks", methods=["POST"])
@api_errors
def create_trunk() -> Response:
    tenant = _tenant()
    cmd = command(CreateTrunk, json_object(bp.current_request), tenant_id=tenant)
    s = services()
    trunk = use_cases.create_trunk(cmd, trunks=s.trunks, secrets=s.secrets, targets=s.targets,
                                   quotas=s.quotas)
    logger.info("Trunk created", extra={"tenant": tenant, "trunk_id": trunk.trunk_id})
    return _render(trunk, s, 201)


@bp.route("/v1/trunks", methods=["GET"])
@api_errors
def list_trunks() -> Response:
    tenant = _tenant()
    mode = (bp.current_request.query_params or {}).get("mode")
    if mode is not None and mode not in MODES:
        raise InvalidInput("mode must be 'register', the only trunk mode today", field="mode")
    s = services()
    listed = s.trunks.list(tenant)
    return render.trunks(listed, s.edge_addresses, _fleet(listed, s))


@bp.route(TRUNK, methods=["GET"])
@api_errors
def get_trunk(trunk_id: str) -> Response:
    s = services()
    return _render(s.trunks.get(_tenant(), _checked(trunk_id)), s)


@bp.route(TRUNK, methods=["PATCH"])
@api_errors
def update_trunk(trunk_id: str) -> Response:
    tenant = _tenant()
    cmd = command(UpdateTrunk, json_object(bp.current_request), tenant_id=tenant,
                  trunk_id=_checked(trunk_id))
    s = services()
    trunk = use_cases.update_trunk(cmd, trunks=s.trunks, secrets=s.secrets, targets=s.targets)
    logger.info("Trunk updated", extra={"tenant": tenant, "trunk_id": trunk_id,
                                        "fields": sorted(cmd.changes().keys()),  # names only
                                        "generation": trunk.generation})
    return _render(trunk, s)


@bp.route(TRUNK, methods=["DELETE"])
@api_errors
def delete_trunk(trunk_id: str) -> Response:
    tenant = _tenant()
    s = services()
    use_cases.delete_trunk(DeleteTrunk(tenant_id=tenant, trunk_id=_checked(trunk_id)),
                           trunks=s.trunks, numbers=s.numbers, directory=s.directory,
                           secrets=s.secrets)
    logger.info("Trunk deleted", extra={"tenant": tenant, "trunk_id": trunk_id})
    return render.no_content()


@bp.route(TRUNK + "/reregister", methods=["POST"])
@api_errors
def reregister_trunk(trunk_id: str) -> Response:
    tenant = _tenant()
    body = json_object(bp.current_request, required=False)  # no fields; `{}` is fine
    cmd = command(ReregisterTrunk, body, tenant_id=tenant, trunk_id=_checked(trunk_id))
    s = services()
    trunk = use_cases.reregister_trunk(cmd, trunks=s.trunks)
    logger.info("Trunk re-registration requested", extra={"tenant": tenant, "trunk_id": trunk_id,
                                                          "generation": trunk.generation})
    return _render(trunk, s, 202)


def _fleet(shown: list[Trunk], s: Services) -> FleetRoom | None:
    return use_cases.fleet_room(shown, s.trunks, time.time())


def _render(trunk: Trunk, s: Services, status: int = 200) -> Response:
    return render.trunk(trunk, status, s.edge_addresses, _fleet([trunk], s))
