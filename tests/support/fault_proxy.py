"""A TCP proxy on loopback that can stall the path it carries: one process's way to the local AWS
endpoint, frozen while everyone else's works.

`freeze()` makes the path hang, not refuse: connections open and stay open, new ones are
accepted, bytes sent either way are held back. `thaw()` delivers what was held (late, as a
congested network would) and carries on. A client that gave up meanwhile (its read timed out)
has closed its side; what it had sent still reaches the endpoint on thaw, which is the worst
case for the conditions on our writes.
"""

from __future__ import annotations

import selectors
import socket
import threading


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1"):
        self.upstream = upstream
        self._listener = socket.create_server((host, 0))
        self.address = self._listener.getsockname()
        self.url = f"http://{self.address[0]}:{self.address[1]}"
        self._frozen = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def freeze(self) -> None:
        self._frozen.set()

    def thaw(self) -> None:
        self._frozen.clear()
        with self._lock:
            for pair in self._pairs:
                pair.wake()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for pair in self._pairs:
                pair.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            pair = _Pair(client, self.upstream, self._frozen, self._stop)
            with self._lock:
                self._pairs = [p for p in self._pairs if not p.closed] + [pair]
            threading.Thread(target=pair.run, daemon=True).start()


class _Pair:
    """One client connection and its upstream one; bytes wait in `held` while frozen."""

    def __init__(self, client: socket.socket, upstream: tuple[str, int],
                 frozen: threading.Event, stop: threading.Event):
        self.client, self.upstream_address = client, upstream
        self.upstream: socket.socket | None = None
        self.frozen, self.stop = frozen, stop
        self.held: dict[str, bytearray] = {"up": bytearray(), "down": bytearray()}
        self.client_gone = self.closed = False
        self._wake_r, self._wake_w = socket.socketpair()

    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.client, selectors.EVENT_READ, "client")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self.stop.is_set() and not self.closed:
                if not self.frozen.is_set():
                    if not self._flush(selector):
                        break
                    if self.client_gone and not self.held["up"]:
                        break  # its requests delivered; nobody to answer
                for key, _ in selector.select(timeout=0.2):
                    if key.data == "wake":
                        self._wake_r.recv(64)
                        continue
                    data = self._recv(key.fileobj)
                    if key.data == "client":
                        if not data:
                            self.client_gone = True
                            selector.unregister(self.client)
                        else:
                            self.held["up"] += data
                    elif not data:
                        return  # the endpoint closed
                    else:
                        self.held["down"] += data
        finally:
            selector.close()
            self.close()

    def _flush(self, selector) -> bool:
        """Deliver what is held (connecting upstream on first use); False when it cannot."""
        try:
            if self.held["up"]:
                if self.upstream is None:
                    self.upstream = socket.create_connection(self.upstream_address)
                    selector.register(self.upstream, selectors.EVENT_READ, "upstream")
                self.upstream.sendall(self.held["up"])
                self.held["up"].clear()
            if self.held["down"] and not self.client_gone:
                self.client.sendall(self.held["down"])
            self.held["down"].clear()
        except OSError:
            return False
        return True

    @staticmethod
    def _recv(sock) -> bytes:
        try:
            return sock.recv(65536)
        except OSError:
            return b""

    def close(self) -> None:
        self.closed = True
        for sock in (self.client, self.upstream, self._wake_r, self._wake_w):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
