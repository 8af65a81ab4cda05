"""Agent routes: what answers a trunk's calls, and which trunk that is (its telephony link)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from chalice import Blueprint, Response
from pydantic import SecretStr

from smartalex.domain.agent_commands import (
    CreateAgent,
    DeleteAgent,
    LinkAgent,
    RotateSigningSecret,
    UnlinkAgent,
    UpdateAgent,
)
from smartalex.domain.agent_signature import new_secret
from smartalex.service_layer import agents as use_cases

from .. import auth, render, render_agents
from ..errors import api_errors
from ..inputs import checked_id, command, json_object
from ..operations import Operation
from ..render_agents import AgentList, AgentView, NewAgentView, SigningSecretView
from ..services import services

bp = Blueprint(__name__)
logger = Logger(service="control", child=True)

AGENT = "/v1/agents/{agent_id}"
TELEPHONY = AGENT + "/telephony"
SIGNING_SECRET = AGENT + "/signing-secret"

OPERATIONS = (
    Operation("POST", "/v1/agents", "Create an agent: an external media-stream agent or the "
              "built-in receptionist. The answer carries its handshake signing secret, this "
              "once", 201, NewAgentView, CreateAgent, (400, 409)),
    Operation("GET", "/v1/agents", "List the tenant's agents", 200, AgentList),
    Operation("GET", AGENT, "Get an agent and the trunk it answers", 200, AgentView,
              errors=(404,)),
    Operation("PATCH", AGENT, "Change an agent; applies from the next call", 200, AgentView,
              UpdateAgent, (400, 404, 409)),
    Operation("DELETE", AGENT, "Delete an agent; its trunk has no agent until another is "
              "linked. Refused (409) while phone numbers are bound to it", 204,
              errors=(404, 409)),
    Operation("PUT", TELEPHONY, "Link the agent to a trunk: it answers the trunk's calls from "
              "the next call, replacing the trunk's previous agent", 200, AgentView, LinkAgent,
              (400, 404, 409)),
    Operation("DELETE", TELEPHONY, "Unlink the agent from its trunk", 204, errors=(404, 409)),
    Operation("POST", SIGNING_SECRET, "Replace the agent's handshake signing secret; the edge "
              "signs with the new one from the next call. The answer carries it, this once",
              200, SigningSecretView, errors=(400, 404)),
)


def _tenant() -> str:
    return auth.current_tenant(bp)


def _checked(value: str) -> str:
    return checked_id(value, "agent")


@bp.route("/v1/agents", methods=["POST"])
@api_errors
def create_agent() -> Response:
    tenant = _tenant()
    cmd = command(CreateAgent, json_object(bp.current_request), tenant_id=tenant)
    s = services()
    secret = SecretStr(new_secret())
    agent = use_cases.create_agent(cmd, agents=s.agents, targets=s.targets, quotas=s.quotas,
                                   agent_secrets=s.agent_secrets, signing_secret=secret)
    logger.info("Agent created", extra={"tenant": tenant, "agent_id": agent.agent_id,
                                        "kind": agent.kind.value})
    return render_agents.new_agent(agent, secret)


@bp.route("/v1/agents", methods=["GET"])
@api_errors
def list_agents() -> Response:
    return render_agents.agents(services().agents.list(_tenant()))


@bp.route(AGENT, methods=["GET"])
@api_errors
def get_agent(agent_id: str) -> Response:
    return render_agents.agent(services().agents.get(_tenant(), _checked(agent_id)))


@bp.route(AGENT, methods=["PATCH"])
@api_errors
def update_agent(agent_id: str) -> Response:
    tenant = _tenant()
    cmd = command(UpdateAgent, json_object(bp.current_request), tenant_id=tenant,
                  agent_id=_checked(agent_id))
    s = services()
    agent = use_cases.update_agent(cmd, agents=s.agents, targets=s.targets)
    logger.info("Agent updated", extra={"tenant": tenant, "agent_id": agent_id,
                                        "fields": sorted(cmd.changes().keys())})
    return render_agents.agent(agent)


@bp.route(AGENT, methods=["DELETE"])
@api_errors
def delete_agent(agent_id: str) -> Response:
    tenant = _tenant()
    s = services()
    use_cases.delete_agent(DeleteAgent(tenant_id=tenant, agent_id=_checked(agent_id)),
                           agents=s.agents, numbers=s.numbers, agent_secrets=s.agent_secrets)
    logger.info("Agent deleted", extra={"tenant": tenant, "agent_id": agent_id})
    return render.no_content()


@bp.route(TELEPHONY, methods=["PUT"])
@api_errors
def link_agent(agent_id: str) -> Response:
    tenant = _tenant()
    cmd = command(LinkAgent, json_object(bp.current_request), tenant_id=tenant,
                  agent_id=_checked(agent_id))
    s = services()
    agent = use_cases.link_agent(cmd, agents=s.agents, trunks=s.trunks)
    logger.info("Agent linked", extra={"tenant": tenant, "agent_id": agent_id,
                                       "trunk_id": agent.trunk_id})
    return render_agents.agent(agent)


@bp.route(TELEPHONY, methods=["DELETE"])
@api_errors
def unlink_agent(agent_id: str) -> Response:
    tenant = _tenant()
    use_cases.unlink_agent(UnlinkAgent(tenant_id=tenant, agent_id=_checked(agent_id)),
                           agents=services().agents)
    logger.info("Agent unlinked", extra={"tenant": tenant, "agent_id": agent_id})
    return render.no_content()


@bp.route(SIGNING_SECRET, methods=["POST"])
@api_errors
def rotate_signing_secret(agent_id: str) -> Response:
    tenant = _tenant()
    body = json_object(bp.current_request, required=False)  # no fields; `{}` is fine
    cmd = command(RotateSigningSecret, body, tenant_id=tenant, agent_id=_checked(agent_id))
    s = services()
    secret = use_cases.rotate_signing_secret(cmd.tenant_id, cmd.agent_id, agents=s.agents,
                                             agent_secrets=s.agent_secrets)
    logger.info("Agent signing secret rotated", extra={"tenant": tenant, "agent_id": agent_id})
    return render_agents.signing_secret(cmd.agent_id, secret)
