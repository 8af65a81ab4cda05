"""Directory routes: who callers can ask for on a trunk, and resolving what they said.

The edge resolves transfer targets with the same matcher (docs/agent-protocol.md), so
`POST .../directory/resolve` shows an admin exactly what a caller's words would do.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response

from smartalex.domain.directory_commands import (
    CreateDirectoryEntry,
    DeleteDirectoryEntry,
    ReplaceDirectoryEntry,
    ResolveRequest,
)
from smartalex.domain.errors import InvalidInput
from smartalex.service_layer import directory as use_cases

from .. import auth, render, render_directory
from ..errors import api_errors
from ..inputs import checked_id, command, json_object
from ..operations import Operation
from ..render_directory import DirectoryEntryView, DirectoryResolutionView, DirectoryView
from ..services import services

bp = Blueprint(__name__)
logger = Logger(service="control", child=True)

DIRECTORY = "/v1/trunks/{trunk_id}/directory"
ENTRY = DIRECTORY + "/{extension}"

OPERATIONS = (
    Operation("GET", DIRECTORY, "List the trunk's directory, sorted by extension", 200,
              DirectoryView, errors=(404,)),
    Operation("POST", DIRECTORY, "Add who callers can ask for (a quota per trunk: 1,000 entries by "
              "default)", 201,
              DirectoryEntryView, CreateDirectoryEntry, (400, 404, 409)),
    Operation("PUT", ENTRY, "Create or replace the entry for this extension", 200,
              DirectoryEntryView, ReplaceDirectoryEntry, (400, 404, 409)),
    Operation("DELETE", ENTRY, "Remove the entry for this extension", 204, errors=(400, 404)),
    Operation("POST", DIRECTORY + "/resolve",
              "Match what a caller said against the directory, as the edge does before a "
              "transfer", 200, DirectoryResolutionView, ResolveRequest, (400, 404)),
)


def _tenant() -> str:
    return auth.current_tenant(bp)


def _checked(value: str) -> str:
    return checked_id(value, "trunk")


def _log(message: str, tenant: str, trunk_id: str, **extra: object) -> None:
    # Extensions only: names and what callers said are personal data.
    logger.info(message, extra={"tenant": tenant, "trunk_id": trunk_id, **extra})


@bp.route(DIRECTORY, methods=["GET"])
@api_errors
def list_directory(trunk_id: str) -> Response:
    s = services()
    return render_directory.entries(use_cases.list_entries(
        _tenant(), _checked(trunk_id), trunks=s.trunks, directory=s.directory))


@bp.route(DIRECTORY, methods=["POST"])
@api_errors
def add_directory_entry(trunk_id: str) -> Response:
    tenant = _tenant()
    cmd = command(CreateDirectoryEntry, json_object(bp.current_request), tenant_id=tenant,
                  trunk_id=_checked(trunk_id))
    s = services()
    entry = use_cases.add_entry(cmd, trunks=s.trunks, directory=s.directory, quotas=s.quotas)
    _log("Directory entry added", tenant, trunk_id, extension=entry.extension)
    return render_directory.entry(entry, 201)


@bp.route(ENTRY, methods=["PUT"])
@api_errors
def replace_directory_entry(trunk_id: str, extension: str) -> Response:
    tenant = _tenant()
    body = json_object(bp.current_request)
    if "extension" in body:
        # Clients often PUT back what GET gave them: the same extension is fine.
        if not isinstance(body["extension"], str) or body["extension"].strip() != extension:
            raise InvalidInput("extension is taken from the URL; to move an entry, add it under "
                               "the new extension and delete the old one.", field="extension")
        body = {k: v for k, v in body.items() if k != "extension"}
    cmd = command(ReplaceDirectoryEntry, body, tenant_id=tenant, trunk_id=_checked(trunk_id),
                  extension=extension)
    s = services()
    entry = use_cases.replace_entry(cmd, trunks=s.trunks, directory=s.directory,
                                   quotas=s.quotas)
    _log("Directory entry replaced", tenant, trunk_id, extension=entry.extension)
    return render_directory.entry(entry)


@bp.route(ENTRY, methods=["DELETE"])
@api_errors
def remove_directory_entry(trunk_id: str, extension: str) -> Response:
    tenant = _tenant()
    cmd = command(DeleteDirectoryEntry, {}, tenant_id=tenant, trunk_id=_checked(trunk_id),
                  extension=extension)
    s = services()
    use_cases.remove_entry(cmd, trunks=s.trunks, directory=s.directory)
    _log("Directory entry removed", tenant, trunk_id, extension=cmd.extension)
    return render.no_content()


@bp.route(DIRECTORY + "/resolve", methods=["POST"])
@api_errors
def resolve_request(trunk_id: str) -> Response:
    tenant = _tenant()
    cmd = command(ResolveRequest, json_object(bp.current_request), tenant_id=tenant,
                  trunk_id=_checked(trunk_id))
    s = services()
    resolution = use_cases.resolve_request(cmd, trunks=s.trunks, directory=s.directory)
    _log("Directory request resolved", tenant, trunk_id, verdict=resolution.verdict.value,
         extension=resolution.match.extension if resolution.match else None)
    return render_directory.resolution(resolution)
