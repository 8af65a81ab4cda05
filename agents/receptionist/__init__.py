"""The built-in receptionist: an agent that needs no cloud.

It answers with a greeting, understands a name, department or extension (offline speech
recognition with pocketsphinx, or the keypad), asks the edge to resolve it against the trunk's
directory, and transfers the call. It is also the reference implementation of the agent side of
docs/agent-protocol.md. See docs/receptionist.md.
"""

from .conversation import DEFAULT_GREETING, Conversation, Prompts
from .exceptions import ReceptionistError, SynthesisFailed, ToolMissing
from .server import Services, bootstrap, main, serve

__all__ = [
    "DEFAULT_GREETING",
    "Conversation",
    "Prompts",
    "ReceptionistError",
    "Services",
    "SynthesisFailed",
    "ToolMissing",
    "bootstrap",
    "main",
    "serve",
]
