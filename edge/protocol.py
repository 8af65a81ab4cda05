"""Messages between the supervisor and its worker processes (over a multiprocessing Pipe)."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.messages import CallEnded, MessagePayload
from smartalex.domain.phone_number import PhoneNumber
from smartalex.domain.trunk import SipAccount

from .dialogs import Dialog


@dataclass(frozen=True)
class AgentLink:
    """The agent a trunk's next call goes to, and how to reach it."""

    agent_id: str
    kind: str
    stream_url: str
    greeting: str | None = None
    # Signs the WebSocket handshake (domain/agent_signature.py); None for agents made before
    # signing existed. Never printed.
    signing_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BoundNumber:
    """A public number bound to the trunk, and the agent its calls go to."""

    number: PhoneNumber
    agent: AgentLink | None


@dataclass(frozen=True)
class CallRouting:
    """Who answers the trunk's calls and who callers can ask for; applies from the next call."""

    agent: AgentLink | None = None
    entries: tuple[DirectoryEntry, ...] = ()
    numbers: tuple[BoundNumber, ...] = ()
    # The trunk's answer_delay_seconds: ring this long before answering (ring groups, queues).
    answer_delay: float = 0.0

    def for_call(self, dialled: tuple[str, ...]) -> tuple[AgentLink | None, PhoneNumber | None]:
        """The agent for a call: a bound DID's agent if the call was dialled through one."""
        for candidate in dialled:
            for bound in self.numbers:
                if bound.number.matches(candidate):
                    return bound.agent, bound.number
        return self.agent, None


# supervisor → worker
@dataclass(frozen=True)
class Hold:
    """Register this trunk (replacing any earlier generation of it)."""

    trunk_id: str
    tenant_id: str
    generation: int
    account: SipAccount
    password: str
    routing: CallRouting = CallRouting()
    # The edge lease's incarnation the trunk is held under: the worker registers it only while
    # the LeaseGate (edge/lease.py) says that lease is current and unexpired.
    incarnation: int = 0

    def __repr__(self) -> str:  # never print the password
        return f"Hold(trunk_id={self.trunk_id!r}, generation={self.generation})"


@dataclass(frozen=True)
class Route:
    """The trunk's agent link or directory changed."""

    trunk_id: str
    routing: CallRouting


@dataclass(frozen=True)
class Release:
    """Un-register this trunk and forget it."""

    trunk_id: str


@dataclass(frozen=True)
class ExtensionChecked:
    """Answer to RegistrarResolved: whether this trunk may register the extension there
    (False: another trunk holds its registration claim)."""

    trunk_id: str
    generation: int
    free: bool


@dataclass(frozen=True)
class Shutdown:
    """Un-register everything and exit once the calls in progress have ended; calls still up
    `calls_for` seconds from now are hung up (0: at once)."""

    calls_for: float = 0.0


# worker → supervisor
@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Heartbeat:
    held: int
    calls: int = 0
    # Requests from outside the PBX so far (edge/inbound_policy.py): answered 403, dropped.
    refused: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class Report:
    """Something to publish for the trunk: a registration change, a call record, an error."""

    trunk_id: str
    generation: int
    payload: MessagePayload


@dataclass(frozen=True)
class RegistrarResolved:
    """The trunk's registrar resolved to these next hops, (address, port) in the order the
    worker tries them (edge/resolver.py): claim the registration identity
    (domain/assignment.py) before the worker sends any REGISTER."""

    trunk_id: str
    generation: int
    hops: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Released:
    trunk_id: str


@dataclass(frozen=True)
class CallUp:
    """A call was answered: what the supervisor needs to end it for the caller, and to list
    it, should this worker die while the call is up (edge/dialogs.py). Forgotten when the
    call's own CallEnded arrives."""

    trunk_id: str
    generation: int
    record: CallEnded  # as it would be listed if the edge failed now (ended_at set then)
    dialog: Dialog | None  # None: the worker could not read it (no BYE then)
    tls_verify: bool = True
