"""A loopback DNS server that answers every query NXDOMAIN, so DNS failures can be tested
without sending a query anywhere but 127.0.0.0/8.

pjsua's `uaConfig.nameserver` takes an address without a port (53), hence a loopback address
of its own (needs root to bind port 53, as the tests run).
"""

from __future__ import annotations

import socket
import struct
import threading

ADDRESS = "127.0.0.77"


class NxdomainServer:
    def __init__(self, address: str = ADDRESS):
        self.address = address
        self.queries: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((address, 53))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "NxdomainServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(2048)
            except socket.timeout:
                continue
            qid, flags = struct.unpack("!HH", data[:4])
            i, labels = 12, []
            while data[i]:
                labels.append(data[i + 1:i + 1 + data[i]].decode())
                i += 1 + data[i]
            self.queries.append(".".join(labels))
            flags = 0x8000 | (flags & 0x0100) | 0x0080 | 3  # response, RD copied, RA, NXDOMAIN
            self._sock.sendto(struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + data[12:i + 5], peer)
