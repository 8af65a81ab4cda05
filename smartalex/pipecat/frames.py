"""SmartAlex's own protocol events as Pipecat frames (smartalex.domain.agent_protocol).

Requests are transport messages, so Pipecat's output transport hands them to the serializer:
a transfer in order with the bot's audio (and never dropped by an interruption: once asked for,
it happens), a resolve or a directory request at once. Answers are system frames pushed
downstream from the input transport; an interruption does not drop them either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    SystemFrame,
)

from smartalex.domain import agent_protocol as protocol
from smartalex.domain.directory import DirectoryEntry, Resolution


@dataclass
class TransferCallFrame(OutputTransportMessageFrame):
    """Transfer the caller to a name, department, alias or extension of the trunk's directory.

    It goes after the audio pushed before it, and the edge sends the transfer once that audio
    has played ("Putting you through to billing" is heard first). The outcome comes back as
    `TransferOutcomeFrame`s: `accepted`, then `completed` (the caller is gone; the edge ends
    the call), or `failed` / `no_match` / `ambiguous` (the caller is still there)."""

    message: Any = field(init=False, default=None)
    target: str = ""
    interruptible: bool = field(default=False, init=False)

    def __post_init__(self):
        super().__post_init__()
        self.message = protocol.encode(protocol.Transfer(self.target))


@dataclass
class ResolveFrame(OutputTransportMessageUrgentFrame):
    """Ask how the directory matches what the caller said, without transferring
    (the answer: `ResolvedFrame`)."""

    message: Any = field(init=False, default=None)
    text: str = ""

    def __post_init__(self):
        super().__post_init__()
        self.message = protocol.encode(protocol.Resolve(self.text))


@dataclass
class DirectoryRequestFrame(OutputTransportMessageUrgentFrame):
    """Ask for the trunk's directory (the answer: `DirectoryFrame`), e.g. to put the names in
    an LLM's instructions or a speech recogniser's vocabulary."""

    message: Any = field(init=False, default=None)

    def __post_init__(self):
        super().__post_init__()
        self.message = protocol.encode(protocol.DirectoryRequest())


@dataclass
class TransferOutcomeFrame(SystemFrame):
    """What became of a transfer (`outcome.status`; `outcome.final` once it is settled)."""

    outcome: protocol.TransferOutcome


@dataclass
class ResolvedFrame(SystemFrame):
    text: str
    resolution: Resolution


@dataclass
class DirectoryFrame(SystemFrame):
    entries: tuple[DirectoryEntry, ...]
