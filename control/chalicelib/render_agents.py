"""What the agent routes answer (render.py's conventions: the models render the responses and
document them in openapi.py)."""

from __future__ import annotations

from chalice import Response
from pydantic import BaseModel, Field, SecretStr

from smartalex.domain.agent import DEFAULT_GREETING, Agent, AgentKind
from smartalex.domain.agent_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER

from .render import Timestamp


class AgentView(BaseModel):
    id: str
    name: str
    kind: AgentKind
    stream_url: str | None = Field(description="Where a media_stream agent is reached; "
                                               "null for the receptionist")
    greeting: str | None = Field(description=(
        "What the receptionist says first; unless set, the default: "
        f"\"{DEFAULT_GREETING}\" (null for a media_stream agent)"))
    trunk_id: str | None = Field(description="The trunk whose calls this agent answers")
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, agent: Agent) -> "AgentView":
        return cls(id=agent.agent_id, name=agent.name, kind=agent.kind,
                   stream_url=agent.stream_url, greeting=agent.spoken_greeting,
                   trunk_id=agent.trunk_id, created_at=agent.created_at,
                   updated_at=agent.updated_at)


SHOWN_ONCE = (f"The secret the edge signs this agent's WebSocket handshakes with "
              f"({SIGNATURE_HEADER}, {TIMESTAMP_HEADER}: docs/agent-protocol.md). Shown only "
              "in this answer: store it in the agent's configuration now; it cannot be read "
              "again (POST /v1/agents/{agent_id}/signing-secret replaces it)")


class NewAgentView(AgentView):
    """The create answer: the agent, and its signing secret this once."""

    signing_secret: str = Field(description=SHOWN_ONCE)

    @classmethod
    def with_secret(cls, agent: Agent, secret: SecretStr) -> "NewAgentView":
        return cls(**AgentView.of(agent).model_dump(), signing_secret=secret.get_secret_value())


class SigningSecretView(BaseModel):
    agent_id: str
    signing_secret: str = Field(description=SHOWN_ONCE)


class AgentList(BaseModel):
    agents: list[AgentView]


def agent(agent: Agent, status: int = 200) -> Response:
    return Response(body=AgentView.of(agent).model_dump(mode="json"), status_code=status)


def new_agent(agent: Agent, secret: SecretStr) -> Response:
    return Response(body=NewAgentView.with_secret(agent, secret).model_dump(mode="json"),
                    status_code=201)


def signing_secret(agent_id: str, secret: SecretStr) -> Response:
    body = SigningSecretView(agent_id=agent_id, signing_secret=secret.get_secret_value())
    return Response(body=body.model_dump(mode="json"), status_code=200)


def agents(items: list[Agent]) -> Response:
    ordered = sorted(items, key=lambda a: (a.created_at, a.agent_id))
    body = AgentList(agents=[AgentView.of(a) for a in ordered])
    return Response(body=body.model_dump(mode="json"), status_code=200)
