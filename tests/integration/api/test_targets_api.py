"""Trunk domains and agent stream URLs must be public in deployed stages: refused at create and
PATCH with a 400 naming the field, nothing written; the test stage (like make run) allows
loopback. DNS is a fake resolver: tests reach no network."""

from __future__ import annotations

import pytest

from smartalex.domain.targets import NameNotResolved, TargetGuard, policy_for_stage

from .conftest import valid_trunk

PUBLIC = "93.184.216.34"
DNS = {
    "pbx.example.com": [PUBLIC],
    "agent.example.com": [PUBLIC, "2606:2800:220:1::1"],
    "intranet.example.com": ["10.0.0.5"],
    "rebound.example.com": [PUBLIC, "127.0.0.1"],
    "metadata.example.com": ["169.254.169.254"],
}
AGENT = {"name": "Sales bot", "kind": "media_stream", "stream_url": "wss://agent.example.com/s"}


def resolve(host):
    if host not in DNS:
        raise NameNotResolved(temporary=False)
    return DNS[host]


@pytest.fixture
def prod(api):
    """The API as deployed in prod (its target policy; everything else as in the tests)."""
    from chalicelib import services

    from smartalex.bootstrap import bootstrap

    services.use_services(bootstrap(targets=TargetGuard(
        policy_for_stage("prod", ["10.40.0.0/16"]), resolve=resolve)))
    yield
    services.use_services(None)


@pytest.fixture
def unchanged(storage):
    before = (storage.all_items(), storage.secret_names())
    yield
    assert (storage.all_items(), storage.secret_names()) == before


@pytest.mark.parametrize("domain, message", [
    ("127.0.0.1", "domain is a loopback address"),
    ("::1", "domain is a loopback address"),
    ("169.254.169.254", "domain is a cloud metadata service address"),
    ("[fd00:ec2::254]", "domain is a cloud metadata service address"),
    ("192.168.1.20", "domain is a private network address"),
    ("100.64.0.1", "domain is a carrier-grade NAT address"),
    ("10.40.3.4", "domain is an address inside SmartAlex's own network"),
    ("::ffff:127.0.0.1", "domain is a loopback address"),
    ("0.0.0.0", "domain is the unspecified address"),
    ("localhost", "domain does not resolve to any address"),
    ("intranet.example.com", "domain resolves to a private network address"),
    ("rebound.example.com", "domain resolves to a loopback address"),
    ("metadata.example.com", "domain resolves to a cloud metadata service address"),
])
def test_a_trunk_domain_that_is_not_public_is_refused_in_prod(prod, alice, unchanged, domain,
                                                             message):
    reply = alice.post("/v1/trunks", valid_trunk(domain=domain))

    assert reply.status == 400, reply.json
    assert reply.error["field"] == "domain"
    assert reply.error["message"].startswith(message), reply.error["message"]
    assert "10.0.0.5" not in reply.error["message"]  # what the name resolved to is not told


def test_a_public_trunk_domain_is_accepted_in_prod(prod, alice):
    assert alice.post("/v1/trunks", valid_trunk(domain="pbx.example.com")).status == 201
    assert alice.post("/v1/trunks", valid_trunk(domain=PUBLIC, extension="1001")).status == 201


def test_patching_a_trunk_to_a_private_domain_is_refused_and_changes_nothing(prod, alice,
                                                                             storage):
    trunk = alice.create(domain="pbx.example.com")
    before = storage.all_items()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"domain": "intranet.example.com"})

    assert reply.status == 400 and reply.error["field"] == "domain", reply.json
    assert storage.all_items() == before
    assert alice.patch(f"/v1/trunks/{trunk['id']}", {"label": "Kept"}).status == 200


@pytest.mark.parametrize("proxy, message", [
    ("127.0.0.1:5060", "outbound_proxy is a loopback address"),
    ("[fd00:ec2::254]:5060", "outbound_proxy is a cloud metadata service address"),
    ("intranet.example.com", "outbound_proxy resolves to a private network address"),
    ("10.40.3.4:5070", "outbound_proxy is an address inside SmartAlex's own network"),
])
def test_an_outbound_proxy_follows_the_domains_rules(prod, alice, unchanged, proxy, message):
    reply = alice.post("/v1/trunks", valid_trunk(domain="pbx.example.com",
                                                 outbound_proxy=proxy))

    assert reply.status == 400, reply.json
    assert reply.error["field"] == "outbound_proxy"
    assert reply.error["message"].startswith(message), reply.error["message"]


def test_a_public_outbound_proxy_is_accepted_and_checked_again_on_patch(prod, alice, storage):
    trunk = alice.create(domain="pbx.example.com", outbound_proxy=f"{PUBLIC}:5070")
    assert trunk["outbound_proxy"] == f"{PUBLIC}:5070"
    before = storage.all_items()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"outbound_proxy": "intranet.example.com"})

    assert reply.status == 400 and reply.error["field"] == "outbound_proxy", reply.json
    assert storage.all_items() == before


@pytest.mark.parametrize("url, message", [
    ("ws://agent.example.com/s", "stream_url must start with wss:// in this deployment"),
    ("wss://127.0.0.1:8443/s", "stream_url is a loopback address"),
    ("wss://[::1]/s", "stream_url is a loopback address"),
    ("wss://169.254.169.254/latest", "stream_url is a cloud metadata service address"),
    ("wss://intranet.example.com/s", "stream_url resolves to a private network address"),
    ("wss://rebound.example.com/s", "stream_url resolves to a loopback address"),
])
def test_an_agent_url_that_is_not_public_tls_is_refused_in_prod(prod, alice, unchanged, url,
                                                                message):
    reply = alice.post("/v1/agents", {**AGENT, "stream_url": url})

    assert reply.status == 400, reply.json
    assert reply.error["field"] == "stream_url"
    assert reply.error["message"].startswith(message), reply.error["message"]


def test_patching_an_agent_url_is_checked_the_same_way(prod, alice, storage):
    agent = alice.post("/v1/agents", AGENT)
    assert agent.status == 201, agent.json
    path = f"/v1/agents/{agent.json['id']}"
    before = storage.all_items()

    for url in ("wss://intranet.example.com/s", "ws://agent.example.com/s"):
        reply = alice.patch(path, {"stream_url": url})
        assert reply.status == 400 and reply.error["field"] == "stream_url", reply.json

    assert storage.all_items() == before
    assert alice.patch(path, {"stream_url": "wss://agent.example.com/v2"}).status == 200


def test_the_test_stage_reaches_loopback_like_make_run(alice):
    """The demo PBX and test agents live on 127.0.0.1 (SMARTALEX_STAGE=test here)."""
    assert alice.post("/v1/trunks", valid_trunk(domain="127.0.0.1")).status == 201
    assert alice.post("/v1/agents", {**AGENT, "stream_url": "ws://127.0.0.1:9/s"}).status == 201
