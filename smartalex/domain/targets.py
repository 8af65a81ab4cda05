"""Where the edge may connect: addresses on the public internet only, in deployed stages.

A trunk's `domain` and an agent's `stream_url` are typed by a tenant's admin, and the edge
connects to them from inside our VPC. Unchecked, a tenant could point the edge at loopback,
the instance-metadata service or another host of ours and read in Diagnostics what answered
("End of file", "HTTP 400"): a port scanner inside the VPC. One classification serves both
places that check:

- the API, when a domain or stream URL is created or changed: `TargetGuard.check_host` refuses
  a literal that is not public, and a name if ANY address it resolves to is not;
- the edge, right before it connects, because DNS may have changed since (rebinding): the same
  `check_host` on the name, then it connects to one of the addresses it returned (not to a
  second lookup's), or `check_address` on the address it is about to use.

`classify` is pure; `SystemResolver` is the only I/O (getaddrinfo with a timeout), injectable.
On one machine (make run, the tests, the benchmarks) the demo PBX and test agents live on
loopback, so those stages allow every address: `policy_for_stage` is the one place that says
which stages those are.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Iterable, Sequence
from urllib.parse import urlsplit

from . import sip
from .errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# SMARTALEX_STAGE values of stacks that run on one machine, never deployed.
MACHINE_LOCAL_STAGES = frozenset({"local", "test", "e2e", "bench"})
RESOLVE_TIMEOUT = 2.0  # seconds; an API request waits this long at most for DNS
REACH = (", which SmartAlex does not connect to: it connects over the internet, so give a "
         "public address or a host name that resolves to one")


class AddressKind(StrEnum):
    PUBLIC = "public"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    PRIVATE = "private"          # RFC 1918, RFC 4193
    SHARED = "shared"            # RFC 6598 carrier-grade NAT, 100.64.0.0/10
    METADATA = "metadata"        # a cloud instance- or task-metadata endpoint
    VPC = "vpc"                  # one of our own networks (configured CIDRs)
    UNSPECIFIED = "unspecified"
    MULTICAST = "multicast"
    RESERVED = "reserved"        # documentation, benchmarking, future use, broadcast, ...


# How a refusal names the kind, after "is" / "resolves to".
DESCRIPTIONS = {
    AddressKind.LOOPBACK: "a loopback address (127.0.0.0/8 or ::1)",
    AddressKind.LINK_LOCAL: "a link-local address (169.254.0.0/16 or fe80::/10)",
    AddressKind.PRIVATE: ("a private network address (10.0.0.0/8, 172.16.0.0/12, "
                          "192.168.0.0/16 or fc00::/7)"),
    AddressKind.SHARED: "a carrier-grade NAT address (100.64.0.0/10)",
    AddressKind.METADATA: "a cloud metadata service address",
    AddressKind.VPC: "an address inside SmartAlex's own network",
    AddressKind.UNSPECIFIED: "the unspecified address (0.0.0.0 or ::)",
    AddressKind.MULTICAST: "a multicast address",
    AddressKind.RESERVED: "a reserved address that is not on the public internet",
}

# Instance metadata (IMDS, over IPv4 and IPv6) and the ECS task metadata/credentials endpoint.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2"))
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")       # RFC 6052: carries an IPv4 address
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")


def classify(address: str | IPAddress, vpc_networks: Iterable[IPNetwork] = ()) -> AddressKind:
    """What kind of address `address` is. IPv6 forms that carry an IPv4 address (mapped
    ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address they
    reach, since that is where a packet to them ends up."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    ip = _embedded_ipv4(ip) or ip
    if ip in METADATA_ADDRESSES:
        return AddressKind.METADATA
    if any(ip.version == net.version and ip in net for net in vpc_networks):
        return AddressKind.VPC
    if ip.is_unspecified:
        return AddressKind.UNSPECIFIED
    if ip.is_loopback:
        return AddressKind.LOOPBACK
    if ip.is_link_local:
        return AddressKind.LINK_LOCAL
    if ip.is_multicast:
        return AddressKind.MULTICAST
    if ip in _SHARED:
        return AddressKind.SHARED
    if any(ip.version == net.version and ip in net for net in _PRIVATE):
        return AddressKind.PRIVATE
    if ip.version == 6 and (ip not in _GLOBAL_UNICAST_V6 or ip.is_site_local):
        return AddressKind.RESERVED
    if ip.is_reserved or not ip.is_global:
        return AddressKind.RESERVED
    return AddressKind.PUBLIC


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Configured CIDRs ("10.40.0.0/16"), as networks; ValueError naming a bad one."""
    found = []
    for cidr in cidrs:
        try:
            found.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not a CIDR: {cidr!r}") from None
    return tuple(found)


@dataclass(frozen=True)
class TargetPolicy:
    """public_only: refuse every address that is not PUBLIC, and require wss:// agents."""

    public_only: bool
    vpc_networks: tuple[IPNetwork, ...] = ()


ANY_TARGET = TargetPolicy(public_only=False)


def policy_for_stage(stage: str, vpc_cidrs: Iterable[str] = ()) -> TargetPolicy:
    """Machine-local stages reach anything (the demo PBX is on loopback); every other stage is
    deployed, and fails safe: an unknown stage name is treated as deployed."""
    if stage in MACHINE_LOCAL_STAGES:
        return ANY_TARGET
    return TargetPolicy(public_only=True, vpc_networks=networks(vpc_cidrs))


class TargetRefused(InvalidInput):
    """The host is, or resolves to, an address the policy refuses; `kind` says which kind."""

    def __init__(self, message: str, kind: AddressKind | None, field: str | None):
        super().__init__(message, field=field)
        self.kind = kind


class NameNotResolved(Exception):
    """The resolver found no address (`temporary` False: no such name) or did not answer in
    time (`temporary` True)."""

    def __init__(self, temporary: bool):
        super().__init__("temporary DNS failure" if temporary else "no such name")
        self.temporary = temporary


Resolver = Callable[[str], Sequence[str]]  # host name -> the addresses it resolves to

_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


class SystemResolver:
    """getaddrinfo (the system's resolver) with a timeout, which getaddrinfo itself lacks: the
    lookup runs on a small thread pool and is abandoned after `timeout` seconds (a lookup
    stuck past that keeps its thread until the resolver gives up; the pool bounds how many)."""

    def __init__(self, timeout: float = RESOLVE_TIMEOUT,
                 getaddrinfo: Callable[..., list] = socket.getaddrinfo):
        self._timeout, self._getaddrinfo = timeout, getaddrinfo

    def __call__(self, host: str) -> tuple[str, ...]:
        lookup = _LOOKUPS.submit(self._getaddrinfo, host, None, 0, socket.SOCK_STREAM)
        try:
            infos = lookup.result(timeout=self._timeout)
        except FutureTimeout:
            raise NameNotResolved(temporary=True) from None
        except socket.gaierror as exc:
            permanent = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None))
            raise NameNotResolved(temporary=not permanent) from None
        except (UnicodeError, OSError):
            raise NameNotResolved(temporary=False) from None
        return tuple(dict.fromkeys(info[4][0] for info in infos))


class TargetGuard:
    """A policy and a resolver: checks hosts the edge would connect to."""

    def __init__(self, policy: TargetPolicy, resolve: Resolver | None = None):
        self.policy = policy
        self._resolve = resolve or SystemResolver()

    @property
    def requires_tls(self) -> bool:
        """Deployed stages reach agents over wss:// only: call audio is personal data."""
        return self.policy.public_only

    def check_address(self, address: str | IPAddress, field: str | None = None) -> None:
        """TargetRefused unless the policy allows connecting to this address."""
        if not self.policy.public_only:
            return
        kind = classify(address, self.policy.vpc_networks)
        if kind is not AddressKind.PUBLIC:
            raise TargetRefused(f"{_subject(field)} is {DESCRIPTIONS[kind]}{REACH}", kind, field)

    def check_host(self, host: str, field: str | None = None) -> tuple[str, ...]:
        """The addresses `host` (an IP literal or a name) stands for, each one allowed by the
        policy; TargetRefused otherwise (a name with no address, or whose lookup failed, too).
        Where every address is allowed (machine-local stages) nothing is looked up and the
        result is empty: the caller resolves as it always does."""
        if not self.policy.public_only:
            return ()
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            self.check_address(literal, field)
            return (str(literal),)
        try:
            addresses = tuple(self._resolve(host))
        except NameNotResolved as exc:
            raise TargetRefused(_unresolved(field, exc.temporary), None, field) from None
        if not addresses:
            raise TargetRefused(_unresolved(field, temporary=False), None, field)
        for address in addresses:
            kind = classify(address, self.policy.vpc_networks)
            if kind is not AddressKind.PUBLIC:
                raise TargetRefused(f"{_subject(field)} resolves to {DESCRIPTIONS[kind]}{REACH}",
                                    kind, field)
        return addresses

    def check_url(self, url: str, field: str | None = None) -> tuple[str, ...]:
        """A WebSocket URL (already syntax-checked): wss:// where TLS is required, and its host
        as `check_host` sees it. The URL itself is not changed."""
        parts = urlsplit(url)
        if self.requires_tls and parts.scheme != "wss":
            raise TargetRefused(f"{_subject(field)} must start with wss:// in this deployment: "
                                "the edge sends call audio to agents only over TLS", None, field)
        return self.check_host(sip.check_host(parts.hostname or ""), field)


def refusal(policy: TargetPolicy, addresses: Iterable[str], subject: str) -> str | None:
    """Why the edge may not connect to any of `addresses` (what `subject`, e.g. "The domain
    pbx.example.com", resolved to), or None. For the edge's check right before it connects."""
    if not policy.public_only:
        return None
    for address in addresses:
        kind = classify(address, policy.vpc_networks)
        if kind is not AddressKind.PUBLIC:
            return f"{subject} resolves to {DESCRIPTIONS[kind]}{REACH}"
    return None


# Checks nothing: the machine-local stages' guard, and the default of the use cases' tests.
ANYWHERE = TargetGuard(ANY_TARGET)


def _subject(field: str | None) -> str:
    return field or "The address"


def _unresolved(field: str | None, temporary: bool) -> str:
    if temporary:
        return (f"{_subject(field)} could not be looked up in DNS just now (no answer within "
                f"{RESOLVE_TIMEOUT:g} s); try again in a minute")
    return (f"{_subject(field)} does not resolve to any address (no DNS record); check its "
            "spelling, or give the public IP address")
