"""The PBX's addresses, looked up off the pjsua thread and within a time limit.

pjsua would resolve a registrar's name itself, inside the event loop every registration and
call of the worker shares (with the blocking getaddrinfo() when it has no name server of its
own), and it would connect to whatever the name resolves to at that moment. The worker looks the
name up here instead, on a small thread pool with a deadline, and then registers with that very
address pinned (edge/sip/account.py): the addresses are what the inbound policy accepts requests
from, and what the target check approved, so a name that re-resolves elsewhere afterwards (DNS
rebinding) changes nothing until the next registration attempt.

Names are looked up through the same DNS servers pjsua was given (SMARTALEX_EDGE_NAMESERVERS,
else the host's resolv.conf), with dnspython, so a look-up has a deadline and never goes
anywhere the operator did not configure. IPv4 only: the edge's SIP transports are IPv4
(edge/sip/endpoint.py).

A trunk without an explicit port is looked up as RFC 3263 says for a SIP URI without a port
(NAPTR, which it makes optional, is skipped): the SRV records of its transport (`_sip._udp`,
`_sip._tcp`, `_sips._tcp`), ordered as RFC 2782 says (the lowest priority first; within one
priority a weighted random order, so that weights spread edges over a PBX's servers), each
target's A records in turn; with no SRV record at all, the name's own A records on the default
port. The result is the list of next hops to try in that order (RFC 3263 4.3): the worker
registers with the first and moves to the next when one does not answer
(edge/registration.py), instead of waiting out SIP's timer F.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import random
import time
from dataclasses import dataclass
from typing import Callable

import dns.exception
import dns.resolver

LOOKUP_TIMEOUT = 5.0
MAX_ADDRESSES = 8  # per name, and next hops in all

Lookup = Callable[[str], list[str]]
# name -> [(target, port, priority, weight)], [] when the name has no SRV record.
SrvLookup = Callable[[str], list[tuple[str, int, int, int]]]
# Where a request may go: an address, and its port (an SRV record's; None: the given or default).
Hop = tuple[str, int | None]
# The SRV service of each transport (RFC 3263 4.1).
SRV_SERVICES = {"udp": "_sip._udp", "tcp": "_sip._tcp", "tls": "_sips._tcp"}


def dns_lookup(nameservers: tuple[str, ...]) -> Lookup:
    """A look-up of A records through `nameservers` only (no search domains, no hosts file)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = list(nameservers)
    resolver.lifetime = LOOKUP_TIMEOUT

    def lookup(name: str) -> list[str]:
        if not nameservers:
            raise LookupFailed(f"DNS lookup of {name} failed: the edge has no DNS server "
                               "configured (SMARTALEX_EDGE_NAMESERVERS)")
        try:
            answer = resolver.resolve(name.rstrip(".") + ".", "A", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            raise LookupFailed(f"DNS lookup of {name} failed: host not found") from None
        except dns.exception.Timeout:
            raise LookupFailed(f"DNS lookup of {name} timed out after "
                               f"{LOOKUP_TIMEOUT:.0f} s") from None
        except dns.exception.DNSException as err:
            raise LookupFailed(f"DNS lookup of {name} failed: {err}") from None
        found: list[str] = []
        for record in answer:
            if record.address not in found:
                found.append(record.address)
        return found[:MAX_ADDRESSES]

    return lookup


def dns_srv_lookup(nameservers: tuple[str, ...]) -> SrvLookup:
    """SRV records of a name through `nameservers` only; [] when it has none."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = list(nameservers)
    resolver.lifetime = LOOKUP_TIMEOUT

    def lookup(name: str) -> list[tuple[str, int, int, int]]:
        if not nameservers:
            return []
        try:
            answer = resolver.resolve(name.rstrip(".") + ".", "SRV", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout:
            raise LookupFailed(f"DNS lookup of {name} timed out after "
                               f"{LOOKUP_TIMEOUT:.0f} s") from None
        except dns.exception.DNSException as err:
            raise LookupFailed(f"DNS lookup of {name} failed: {err}") from None
        return [(r.target.to_text().rstrip("."), int(r.port), int(r.priority), int(r.weight))
                for r in answer if r.target.to_text() != "."]

    return lookup


def srv_order(records: list[tuple[str, int, int, int]],
              rng: random.Random | None = None) -> list[tuple[str, int]]:
    """(target, port) in the order RFC 2782 says to try them: by priority, the lowest first;
    within a priority, each next one drawn at random with a chance proportional to its weight
    (records of weight 0 first in the running sum, so they are picked only rarely)."""
    rng = rng or random.Random()
    ordered: list[tuple[str, int]] = []
    for priority in sorted({r[2] for r in records}):
        left = sorted((r for r in records if r[2] == priority), key=lambda r: (r[3] != 0, r[0]))
        while left:
            pick = rng.randint(0, sum(r[3] for r in left))
            running = 0
            for record in left:
                running += record[3]
                if running >= pick:
                    break
            left.remove(record)
            ordered.append((record[0], record[1]))
    return ordered


class LookupFailed(Exception):
    """The name does not resolve (or not in time); str() is what the admin reads."""


@dataclass
class PendingLookup:
    """One name being looked up. The deadline runs from when a pool thread takes it up, not
    from when it was queued: a worker given 250 trunks at once queues 250 look-ups, and each one
    is bounded by dnspython's own lifetime, so the queue always moves."""

    name: str
    future: concurrent.futures.Future | None
    started: list[float] | None = None  # set (by the pool thread) when the look-up begins
    literal: list[Hop] | None = None

    def result(self, now: float) -> list[Hop] | None:
        """The next hops in the order to try them, None while the look-up waits or runs;
        raises LookupFailed."""
        if self.literal is not None:
            return self.literal
        if not self.future.done():
            if not self.started or now < self.started[0] + LOOKUP_TIMEOUT:
                return None
            self.future.cancel()
            raise LookupFailed(f"DNS lookup of {self.name} timed out after "
                               f"{LOOKUP_TIMEOUT:.0f} s")
        try:
            hops = self.future.result()
        except LookupFailed:
            raise
        except Exception as err:  # a name dnspython cannot even encode, for one
            raise LookupFailed(f"DNS lookup of {self.name} failed: {err}") from None
        if not hops:
            raise LookupFailed(f"DNS lookup of {self.name} failed: host not found (no IPv4 "
                               "address)")
        return hops


class Resolver:
    def __init__(self, lookup: Lookup, workers: int = 8,
                 monotonic: Callable[[], float] = time.monotonic,
                 srv: SrvLookup | None = None, rng: random.Random | None = None):
        self._lookup = lookup
        self._srv = srv
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, "dns")
        self._monotonic = monotonic
        self._rng = rng or random.Random()

    def start(self, name: str, service: str | None = None) -> PendingLookup:
        """Look `name` up; with `service` (SRV_SERVICES), its SRV records first."""
        try:
            return PendingLookup(name, None, literal=[(str(ipaddress.ip_address(name)), None)])
        except ValueError:
            started: list[float] = []
            return PendingLookup(name, self._pool.submit(self._timed, name, started, service),
                                 started)

    def _timed(self, name: str, started: list[float], service: str | None) -> list[Hop]:
        started.append(self._monotonic())
        records = self._srv(f"{service}.{name}") if service and self._srv else []
        if not records:
            return [(address, None) for address in self._lookup(name)]
        hops: list[Hop] = []
        failed: LookupFailed | None = None
        for target, port in srv_order(records, self._rng):
            try:  # a target that does not resolve is skipped, like one that does not answer
                addresses = self._lookup(target)
            except LookupFailed as err:
                failed = err
                continue
            hops += [(a, port) for a in addresses if (a, port) not in hops]
            if len(hops) >= MAX_ADDRESSES:
                break
        if not hops and failed:
            raise failed
        return hops[:MAX_ADDRESSES]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
