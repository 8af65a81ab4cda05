"""Agents that plug into the edge over the agent protocol (docs/agent-protocol.md), each in a
process of its own: `receptionist/`, the built-in offline receptionist. They import nothing
from `edge/`."""
