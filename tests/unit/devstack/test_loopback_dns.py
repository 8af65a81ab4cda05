"""The loopback DNS server the edge's name tests and the capacity benchmark use: two of them
(two test runs on one machine) each find a loopback address of their own for port 53, and each
answers what it was given. Binding port 53 needs root, as the suite runs."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rcode

from devstack.dns import LoopbackDns


def ask(server: LoopbackDns, name: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), server.address, timeout=2)


def test_two_servers_take_two_addresses_and_each_answers_its_own_records():
    with LoopbackDns(records={"pbx.test": "127.0.0.1"}) as first, \
            LoopbackDns(records={"pbx.test": "127.0.0.2"}) as second:
        assert first.address != second.address
        assert first.address.startswith("127.") and second.address.startswith("127.")
        for server, ip in ((first, "127.0.0.1"), (second, "127.0.0.2")):
            answer = ask(server, "PBX.test.")
            assert [r.address for r in answer.answer[0]] == [ip]
            assert ask(server, "other.test").rcode() == dns.rcode.NXDOMAIN
        assert first.queries == second.queries == ["pbx.test", "other.test"]
