"""The edge checks where it connects right before connecting (deployed stages: public addresses
only), whatever the API checked when the trunk or agent was saved: DNS may answer otherwise
now. SMARTALEX_EDGE_PUBLIC_TARGETS_ONLY=1 gives a local edge the deployed stages' rule."""

from __future__ import annotations

import asyncio

import pytest

from edge.media.stream import MediaStream
from smartalex.domain import agent_protocol as protocol
from smartalex.domain.commands import CreateTrunk
from smartalex.domain.targets import TargetGuard, TargetPolicy, TargetRefused
from smartalex.service_layer import trunks as svc

from .conftest import wait_for

TENANT = "acme"


@pytest.mark.sip
def test_a_registrar_on_loopback_is_never_registered_with_in_a_deployed_stage(
        control_plane, pbx, edge_factory):
    trunk = svc.create_trunk(CreateTrunk(tenant_id=TENANT, pbx_type="other", domain=pbx.host,
                                         port=pbx.port, extension="1000", password="secret"),
                             trunks=control_plane.trunks, secrets=control_plane.secrets)
    edge = edge_factory(SMARTALEX_EDGE_PUBLIC_TARGETS_ONLY="1")
    status = wait_for(lambda: (s := control_plane.trunks.get(TENANT, trunk.trunk_id)
                               .registration).state == "failed" and s, 15, "Failed")
    assert status.error.startswith("The domain 127.0.0.1 resolves to a loopback address")
    assert "End of file" not in status.error and status.sip_code == 403
    assert pbx.contacts("1000") == []
    assert '"message":"registering"' not in edge.log_text()  # no REGISTER was ever sent


class _Port:
    """Stands in for the call's audio port (MediaStream only keeps a weak reference)."""


def stream_to(url: str, guard: TargetGuard) -> MediaStream:
    port = _Port()
    stream = MediaStream(loop=None, url=url, start=protocol.Start("MZ1", "tenant", "CA1"),
                         port=port, matcher=None, entries=(), targets=guard)
    stream._keep = port  # the test holds the port, as the call would
    return stream


def public_only(addresses: tuple[str, ...]) -> TargetGuard:
    return TargetGuard(TargetPolicy(public_only=True), resolve=lambda host: addresses)


def test_an_agent_url_that_now_resolves_to_a_private_address_is_not_connected_to():
    stream = stream_to("wss://agent.example.com/stream", public_only(("10.0.0.5",)))
    with pytest.raises(TargetRefused, match="resolves to a private network address"):
        asyncio.run(stream._destination())


def test_a_plain_ws_agent_url_is_refused_in_a_deployed_stage():
    stream = stream_to("ws://agent.example.com/stream", public_only(("93.184.215.14",)))
    with pytest.raises(TargetRefused, match="must start with wss://"):
        asyncio.run(stream._destination())


def test_the_connection_goes_to_the_address_that_was_checked():
    stream = stream_to("wss://agent.example.com/stream", public_only(("93.184.215.14",)))
    assert asyncio.run(stream._destination()) == {"host": "93.184.215.14"}
