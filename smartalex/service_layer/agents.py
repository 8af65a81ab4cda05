"""Agent use cases behind the API: create, change, delete, link to a trunk, unlink.

A trunk has at most one agent and an agent answers at most one trunk; `AgentRepository.link`
keeps both sides in step. Changes apply from the next call (calls in progress keep theirs).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from pydantic import SecretStr

from ..domain.agent import Agent, AgentKind
from ..domain.agent_signature import new_secret
from ..domain.agent_commands import (
    GREETING_NOT_APPLICABLE,
    STREAM_URL_NOT_APPLICABLE,
    STREAM_URL_REQUIRED,
    CreateAgent,
    DeleteAgent,
    LinkAgent,
    UnlinkAgent,
    UpdateAgent,
)
from ..domain.errors import Conflict, InvalidInput, NotFound
from ..domain.phone_number import still_bound
from ..domain.quotas import DEFAULT_QUOTAS, Quotas
from ..domain.targets import ANYWHERE, TargetGuard
from .ports import AgentRepository, AgentSecretStore, PhoneNumberRepository, TrunkRepository
from .trunks import Clock, utcnow


def new_agent_id() -> str:
    return f"agt_{uuid.uuid4().hex[:20]}"


def create_agent(cmd: CreateAgent, *, agents: AgentRepository, targets: TargetGuard = ANYWHERE,
                 quotas: Quotas = DEFAULT_QUOTAS, agent_secrets: AgentSecretStore | None = None,
                 signing_secret: SecretStr | None = None, clock: Clock = utcnow) -> Agent:
    """`targets` refuses a stream URL the edge must not connect to, `quotas` an agent too many
    (the API passes the deployment's). With `agent_secrets` and `signing_secret` (the API: a
    `new_secret()` it shows once), the secret is stored first under the new id, then the agent;
    the secret is removed again if the agent cannot be stored."""
    quotas.check_agents(len(agents.list(cmd.tenant_id)))
    if cmd.stream_url is not None:
        targets.check_url(cmd.stream_url, field="stream_url")
    now = clock()
    agent = Agent(
        agent_id=new_agent_id(), tenant_id=cmd.tenant_id, name=cmd.name, kind=cmd.kind,
        stream_url=cmd.stream_url, greeting=cmd.greeting, created_at=now, updated_at=now,
    )
    if agent_secrets is None or signing_secret is None:
        agents.add(agent)
        return agent
    agent_secrets.put(agent.agent_id, signing_secret.get_secret_value())
    try:
        agents.add(agent)
    except BaseException:
        agent_secrets.delete(agent.agent_id)
        raise
    return agent


def rotate_signing_secret(tenant_id: str, agent_id: str, *, agents: AgentRepository,
                          agent_secrets: AgentSecretStore, clock: Clock = utcnow) -> SecretStr:
    """Replace the agent's handshake signing secret (or give one to an agent made before
    signing existed); the edge signs with the new one from the next call. Returns it, to be
    shown once."""
    agent = agents.get(tenant_id, agent_id)
    secret = SecretStr(new_secret())
    agent_secrets.put(agent.agent_id, secret.get_secret_value())
    agents.touch(agent, clock())  # its trunk's edge reads the new secret before the next call
    return secret


def update_agent(cmd: UpdateAgent, *, agents: AgentRepository, targets: TargetGuard = ANYWHERE,
                 clock: Clock = utcnow) -> Agent:
    """Apply a PATCH. Changing the kind drops the fields the new kind has no use for (the old
    URL or greeting); sending such a field explicitly is an error, as on create. A new
    stream URL is checked with `targets`, as on create."""
    before = agents.get(cmd.tenant_id, cmd.agent_id)
    changes = cmd.changes()
    kind = changes.get("kind", before.kind)
    if kind is AgentKind.MEDIA_STREAM:
        if changes.get("greeting") is not None:
            raise InvalidInput(GREETING_NOT_APPLICABLE, field="greeting")
        stream_url, greeting = changes.get("stream_url", before.stream_url), None
        if stream_url is None:
            raise InvalidInput(STREAM_URL_REQUIRED, field="stream_url")
        if changes.get("stream_url") is not None:
            targets.check_url(stream_url, field="stream_url")
    else:
        if "stream_url" in changes:
            raise InvalidInput(STREAM_URL_NOT_APPLICABLE, field="stream_url")
        stream_url = None
        greeting = changes["greeting"] if "greeting" in changes else before.greeting
    after = replace(before, name=changes.get("name", before.name), kind=kind,
                    stream_url=stream_url, greeting=greeting)
    if after == before:
        return before  # nothing to write
    after = replace(after, updated_at=clock())
    agents.replace(before, after)
    return after


def delete_agent(cmd: DeleteAgent, *, agents: AgentRepository, numbers: PhoneNumberRepository,
                 agent_secrets: AgentSecretStore | None = None) -> None:
    """Remove the agent, then its signing secret; its trunk (if any) rejects calls until another
    agent is linked. Refused (Conflict) while phone numbers route to it; `remove` is conditioned
    on the bindings_version read here, so a number bound meanwhile cannot slip through."""
    agent = agents.get(cmd.tenant_id, cmd.agent_id)
    bound = [n for n in numbers.list(cmd.tenant_id) if n.agent_id == agent.agent_id]
    if bound:
        raise Conflict(still_bound("agent", bound))
    agents.remove(agent)
    if agent_secrets is not None:
        agent_secrets.delete(agent.agent_id)


def link_agent(cmd: LinkAgent, *, agents: AgentRepository, trunks: TrunkRepository) -> Agent:
    """Make the agent the trunk's only agent: the trunk's previous agent is unlinked, and so is
    the agent's previous trunk. Both must belong to the tenant."""
    agent = agents.get(cmd.tenant_id, cmd.agent_id)
    trunk = trunks.get(cmd.tenant_id, cmd.trunk_id)
    return agents.link(agent, trunk)


def unlink_agent(cmd: UnlinkAgent, *, agents: AgentRepository) -> Agent:
    agent = agents.get(cmd.tenant_id, cmd.agent_id)
    if agent.trunk_id is None:
        raise NotFound(f"Agent {agent.agent_id} is not linked to a trunk.")
    return agents.unlink(agent)
