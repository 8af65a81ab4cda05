"""A loopback DNS server that answers NXDOMAIN to every name it was not given an A record for,
so DNS failures and names (two PBXs by hostname, a thousand PBX names in
benchmarks/edge_capacity.py) can be tried without sending a query anywhere but 127.0.0.0/8.

pjsua's `uaConfig.nameserver` takes an address without a port (53), hence a loopback address
of its own: the first of ADDRESSES whose port 53 is free, so that two servers (two test runs
on one machine) do not collide. Binding port 53 needs root, as the tests run.
"""

from __future__ import annotations

import socket
import threading

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

ADDRESSES = tuple(f"127.0.0.{i}" for i in range(77, 127))


def _bind_port_53() -> tuple[socket.socket, str]:
    """A UDP socket on port 53 of the first of ADDRESSES where it is free."""
    for address in ADDRESSES:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, 53))
        except OSError:
            sock.close()
            continue
        return sock, address
    raise OSError(f"port 53 is taken on every address from {ADDRESSES[0]} to {ADDRESSES[-1]}")


class LoopbackDns:
    """`records`: name → IPv4 address, answered as A records (TTL 60); `srv`: name (e.g.
    `_sip._udp.pbx.test`) → [(target, port, priority, weight)], answered as SRV records;
    anything else NXDOMAIN (another type of a known name: no data)."""

    def __init__(self, records: dict[str, str] | None = None,
                 srv: dict[str, list[tuple[str, int, int, int]]] | None = None):
        self.records = {name.rstrip(".").lower(): ip for name, ip in (records or {}).items()}
        self.srv = {name.rstrip(".").lower(): list(v) for name, v in (srv or {}).items()}
        self.queries: list[str] = []
        self._sock, self.address = _bind_port_53()
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "LoopbackDns":
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
            try:
                query = dns.message.from_wire(data)
            except dns.exception.DNSException:
                continue
            question = query.question[0]
            name = question.name.to_text().rstrip(".").lower()
            self.queries.append(name)
            response = dns.message.make_response(query)
            if name not in self.records and name not in self.srv:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A and name in self.records:
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A",
                                                           self.records[name]))
            elif question.rdtype == dns.rdatatype.SRV and name in self.srv:
                response.answer.append(dns.rrset.from_text_list(
                    question.name, 60, "IN", "SRV",
                    [f"{prio} {weight} {port} {target}." for target, port, prio, weight
                     in self.srv[name]]))
            self._sock.sendto(response.to_wire(), peer)
