"""Consumer of the edge-events queue: registration status (and, later, call events)."""
