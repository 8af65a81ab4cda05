"""Agents the edge can bridge a call to over the agent protocol (docs/agent-protocol.md)."""
