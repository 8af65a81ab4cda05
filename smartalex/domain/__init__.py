"""Trunks, registration states, leases and the edge↔control message contract; no I/O."""
