"""Event-driven Lambda handlers, one folder per queue or trigger."""
