"""Use cases: verb-named handlers that take a command or message plus their ports."""
