"""Free loopback ports for the processes tests start beside the PBX."""

from __future__ import annotations

import socket

from devstack.pbx import free_media_port
from devstack.pbx import server


def _udp(port: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    return s


def test_a_media_port_is_skipped_when_sipps_video_port_above_it_is_taken(monkeypatch):
    """sipp binds -mp and -mp + 2; a port whose +2 neighbour is held would make it exit 254."""
    held = _udp()
    taken_above = held.getsockname()[1] - 2
    offered = iter([taken_above, free_media_port()])
    monkeypatch.setattr(server, "_even_udp_port", lambda host: next(offered))
    try:
        port = free_media_port()
        assert port != taken_above
        with _udp(port), _udp(port + 2):
            pass
    finally:
        held.close()
