"""Tenant settings: defaults for what the tenant configures (today: the default country)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response

from smartalex.domain.tenant_settings import UpdateTenantSettings
from smartalex.service_layer import settings as use_cases

from .. import auth, render_settings
from ..errors import api_errors
from ..inputs import command, json_object
from ..operations import Operation
from ..render_settings import SettingsView
from ..services import services

bp = Blueprint(__name__)
logger = Logger(service="control", child=True)

SETTINGS = "/v1/settings"


OPERATIONS = (
    Operation("GET", SETTINGS, "Get the tenant's settings", 200, SettingsView),
    Operation("PUT", SETTINGS, "Replace the tenant's settings; they apply to what is "
              "configured from now on", 200, SettingsView, UpdateTenantSettings, (400,)),
)


@bp.route(SETTINGS, methods=["GET"])
@api_errors
def get_settings() -> Response:
    tenant = auth.current_tenant(bp)
    return render_settings.settings(use_cases.get_settings(tenant,
                                                           settings=services().settings))


@bp.route(SETTINGS, methods=["PUT"])
@api_errors
def put_settings() -> Response:
    tenant = auth.current_tenant(bp)
    cmd = command(UpdateTenantSettings, json_object(bp.current_request), tenant_id=tenant)
    updated = use_cases.update_settings(cmd, settings=services().settings)
    logger.info("Settings updated", extra={"tenant": tenant,
                                           "default_country": updated.default_country})
    return render_settings.settings(updated)
