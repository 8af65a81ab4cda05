"""How a bound number routes, in the words the PBX admin reads in the number list.

The number is stored with ids only; its trunk and agent are read alongside it and may have been
deleted since the number was bound (deleting them does not unbind the number), so both are
optional here and the description says what the edge then does with such a call.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agent import Agent, AgentKind
from .dids import international
from .phone_number import PhoneNumber
from .trunk import Trunk

_KINDS = {AgentKind.RECEPTIONIST: "receptionist", AgentKind.MEDIA_STREAM: "media-stream agent"}


@dataclass(frozen=True)
class NumberRouting:
    number: PhoneNumber
    trunk: Trunk | None    # None: the trunk was deleted after the number was bound
    agent: Agent | None    # None: the agent was deleted after the number was bound

    @property
    def display(self) -> str:
        return international(self.number.e164)

    @property
    def description(self) -> str:
        calls_to = f"Calls to {self.display}"
        if self.trunk is None:
            return (f"{calls_to} are not answered: the trunk it was bound to was deleted. "
                    "Delete this number and bind it to another trunk.")
        reach = (f"reach extension {self.number.extension} on {self.trunk.account.domain}")
        if self.agent is None:
            # edge/protocol.CallRouting.for_call: a bound DID without an agent is rejected
            # like a trunk without one.
            return (f"{calls_to} {reach} but are rejected: the agent it was bound to was "
                    "deleted. Delete this number and bind it again with another agent.")
        return (f"{calls_to} {reach} and are answered by {self.agent.name} "
                f"({_KINDS.get(self.agent.kind, self.agent.kind.value)})")
