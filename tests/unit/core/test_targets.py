"""Which addresses the edge may connect to: the classification, the stage policy, the guard the
API and the edge both use, and the resolver behind it (getaddrinfo injected: no real DNS)."""

from __future__ import annotations

import socket
import threading

import pytest

from smartalex.domain.errors import InvalidInput
from smartalex.domain.targets import (
    ANY_TARGET,
    AddressKind,
    NameNotResolved,
    SystemResolver,
    TargetGuard,
    TargetPolicy,
    TargetRefused,
    classify,
    networks,
    policy_for_stage,
)

K = AddressKind
VPC = networks(["10.40.0.0/16", "2600:1f18:aaaa::/56"])


@pytest.mark.parametrize("address, kind", [
    ("8.8.8.8", K.PUBLIC),
    ("93.184.216.34", K.PUBLIC),
    ("2606:4700::1111", K.PUBLIC),
    ("127.0.0.1", K.LOOPBACK),
    ("127.255.0.9", K.LOOPBACK),
    ("::1", K.LOOPBACK),
    ("169.254.1.1", K.LINK_LOCAL),
    ("fe80::1", K.LINK_LOCAL),
    ("10.1.2.3", K.PRIVATE),
    ("172.16.0.1", K.PRIVATE),
    ("172.31.255.255", K.PRIVATE),
    ("192.168.1.10", K.PRIVATE),
    ("fc00::1", K.PRIVATE),
    ("fd12:3456::1", K.PRIVATE),
    ("100.64.0.1", K.SHARED),
    ("100.127.255.254", K.SHARED),
    ("169.254.169.254", K.METADATA),
    ("fd00:ec2::254", K.METADATA),
    ("169.254.170.2", K.METADATA),
    ("10.40.7.7", K.VPC),
    ("2600:1f18:aaaa:12::1", K.VPC),
    ("0.0.0.0", K.UNSPECIFIED),
    ("::", K.UNSPECIFIED),
    ("224.0.0.1", K.MULTICAST),
    ("239.1.1.1", K.MULTICAST),
    ("ff02::1", K.MULTICAST),
    ("192.0.2.1", K.RESERVED),        # documentation
    ("198.51.100.1", K.RESERVED),
    ("198.18.0.1", K.RESERVED),       # benchmarking
    ("240.0.0.1", K.RESERVED),        # future use
    ("255.255.255.255", K.RESERVED),  # broadcast
    ("2001:db8::1", K.RESERVED),
    ("fec0::1", K.RESERVED),          # deprecated site-local
    ("100::1", K.RESERVED),           # discard
    ("::7f00:1", K.RESERVED),         # IPv4-compatible, deprecated
])
def test_addresses_are_classified(address, kind):
    assert classify(address, VPC) is kind


@pytest.mark.parametrize("address, kind", [
    ("::ffff:127.0.0.1", K.LOOPBACK),       # IPv4-mapped
    ("::ffff:169.254.169.254", K.METADATA),
    ("64:ff9b::a00:1", K.PRIVATE),          # NAT64 to 10.0.0.1
    ("64:ff9b::808:808", K.PUBLIC),         # NAT64 to 8.8.8.8
    ("2002:7f00:1::", K.LOOPBACK),          # 6to4 of 127.0.0.1
    ("2002:a28:101::1", K.VPC),             # 6to4 of 10.40.1.1
])
def test_ipv6_forms_carrying_an_ipv4_address_are_judged_by_it(address, kind):
    assert classify(address, VPC) is kind


def test_our_networks_are_refused_only_when_configured():
    assert classify("10.40.7.7") is K.PRIVATE
    assert classify("10.40.7.7", VPC) is K.VPC
    assert classify("8.8.8.8", networks(["8.8.8.0/24"])) is K.VPC


def test_a_bad_cidr_is_named():
    with pytest.raises(ValueError, match="10.0.0.0/33"):
        networks(["10.0.0.0/33"])


@pytest.mark.parametrize("stage", ["local", "test", "e2e", "bench"])
def test_machine_local_stages_reach_anything(stage):
    assert policy_for_stage(stage, ["10.40.0.0/16"]) == ANY_TARGET
    assert TargetGuard(policy_for_stage(stage), resolve=_no_dns).check_host("localhost") == ()


@pytest.mark.parametrize("stage", ["dev", "staging", "prod", "perf", ""])
def test_every_other_stage_is_treated_as_deployed(stage):
    policy = policy_for_stage(stage, ["10.40.0.0/16"])

    assert policy.public_only and policy.vpc_networks == networks(["10.40.0.0/16"])
    assert TargetGuard(policy, resolve=_no_dns).requires_tls


def _no_dns(host):
    raise AssertionError(f"looked up {host}")


def deployed(answers: dict[str, list[str]] | None = None, **kwargs) -> TargetGuard:
    def resolve(host):
        if host not in (answers or {}):
            raise NameNotResolved(temporary=False)
        return answers[host]

    return TargetGuard(TargetPolicy(public_only=True, vpc_networks=VPC), resolve=resolve,
                       **kwargs)


def test_a_public_name_gives_its_addresses():
    guard = deployed({"pbx.example.com": ["93.184.216.34", "2606:2800:220:1::1"]})

    assert guard.check_host("pbx.example.com") == ("93.184.216.34", "2606:2800:220:1::1")


def test_a_name_with_one_private_address_among_public_ones_is_refused():
    guard = deployed({"pbx.example.com": ["93.184.216.34", "10.0.0.5"]})

    with pytest.raises(TargetRefused) as refused:
        guard.check_host("pbx.example.com", field="domain")

    assert refused.value.kind is K.PRIVATE
    assert refused.value.field == "domain"
    assert str(refused.value).startswith("domain resolves to a private network address")
    assert "10.0.0.5" not in str(refused.value)  # what internal DNS says is not repeated
    assert isinstance(refused.value, InvalidInput)  # the API answers it as a 400


@pytest.mark.parametrize("literal, kind", [
    ("127.0.0.1", K.LOOPBACK), ("169.254.169.254", K.METADATA), ("::1", K.LOOPBACK),
    ("10.40.0.9", K.VPC)])
def test_a_literal_is_judged_without_a_lookup(literal, kind):
    with pytest.raises(TargetRefused) as refused:
        TargetGuard(TargetPolicy(True, VPC), resolve=_no_dns).check_host(literal, "domain")

    assert refused.value.kind is kind
    assert str(refused.value).startswith("domain is ")


def test_the_edge_checks_the_exact_address_it_is_about_to_use():
    guard = deployed()

    guard.check_address("93.184.216.34")
    with pytest.raises(TargetRefused, match="^The address is a loopback address"):
        guard.check_address("127.0.0.1")


def test_a_name_without_addresses_is_refused_and_says_so():
    with pytest.raises(TargetRefused, match="does not resolve to any address"):
        deployed().check_host("typo.example.com", "domain")
    with pytest.raises(TargetRefused, match="does not resolve to any address"):
        deployed({"empty.example.com": []}).check_host("empty.example.com", "domain")


def test_a_lookup_that_failed_for_now_says_try_again():
    def resolve(host):
        raise NameNotResolved(temporary=True)

    with pytest.raises(TargetRefused, match="try again in a minute"):
        TargetGuard(TargetPolicy(True), resolve=resolve).check_host("pbx.example.com", "domain")


def _info(address: str) -> tuple:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return (family, socket.SOCK_STREAM, 6, "", (address, 0))


def test_the_system_resolver_returns_each_address_once():
    seen = []

    def getaddrinfo(host, port, family, kind):
        seen.append((host, port, family, kind))
        return [_info("93.184.216.34"), _info("93.184.216.34"), _info("2606:2800:220:1::1")]

    assert SystemResolver(getaddrinfo=getaddrinfo)("pbx.example.com") == (
        "93.184.216.34", "2606:2800:220:1::1")
    assert seen == [("pbx.example.com", None, 0, socket.SOCK_STREAM)]


@pytest.mark.parametrize("errno, temporary", [
    (socket.EAI_NONAME, False), (socket.EAI_AGAIN, True), (socket.EAI_FAIL, True)])
def test_the_system_resolver_tells_no_such_name_from_a_failure(errno, temporary):
    def getaddrinfo(*_):
        raise socket.gaierror(errno, "resolver says no")

    with pytest.raises(NameNotResolved) as failed:
        SystemResolver(getaddrinfo=getaddrinfo)("pbx.example.com")

    assert failed.value.temporary is temporary


def test_the_system_resolver_gives_up_after_its_timeout():
    release = threading.Event()

    def stuck(*_):
        release.wait(10)
        return [_info("93.184.216.34")]

    try:
        with pytest.raises(NameNotResolved) as failed:
            SystemResolver(timeout=0.05, getaddrinfo=stuck)("slow.example.com")
    finally:
        release.set()

    assert failed.value.temporary
