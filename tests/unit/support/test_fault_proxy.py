"""The fault-injecting proxy (tests/support/fault_proxy.py): a frozen path hangs, it does not
refuse, and what was held back arrives once it thaws."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.support.fault_proxy import FaultProxy


@pytest.fixture
def echo():
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(
                lambda: c.recv(1024), b"")], daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()
    server.close()


@pytest.fixture
def proxy(echo):
    proxy = FaultProxy(echo).start()
    yield proxy
    proxy.stop()


def test_bytes_go_through_both_ways(proxy):
    with socket.create_connection(proxy.address, timeout=2) as conn:
        conn.sendall(b"ping")
        assert conn.recv(4) == b"ping"


def test_a_frozen_path_accepts_and_hangs_then_delivers_on_thaw(proxy):
    proxy.freeze()
    with socket.create_connection(proxy.address, timeout=0.5) as conn:  # accepted
        conn.sendall(b"late")
        with pytest.raises(socket.timeout):
            conn.recv(4)
        proxy.thaw()
        conn.settimeout(2)
        assert conn.recv(4) == b"late"
