"""What the agent routes answer (render.py's conventions: the models render the responses and
document them in openapi.py)."""

from __future__ import annotations

from chalice import Response
from pydantic import BaseModel, Field

from smartalex.domain.agent import DEFAULT_GREETING, Agent, AgentKind

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


class AgentList(BaseModel):
    agents: list[AgentView]


def agent(agent: Agent, status: int = 200) -> Response:
    return Response(body=AgentView.of(agent).model_dump(mode="json"), status_code=status)


def agents(items: list[Agent]) -> Response:
    ordered = sorted(items, key=lambda a: (a.created_at, a.agent_id))
    body = AgentList(agents=[AgentView.of(a) for a in ordered])
    return Response(body=body.model_dump(mode="json"), status_code=200)
