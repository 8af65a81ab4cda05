"""GET /v1/pbx-types: the presets, for signed-in callers."""

from __future__ import annotations

from smartalex.domain.trunk import PbxType


def test_every_pbx_type_is_listed_with_its_defaults_and_advice(alice):
    reply = alice.get("/v1/pbx-types")
    assert reply.status == 200
    types = {t["type"]: t for t in reply.json["pbx_types"]}
    assert set(types) == {t.value for t in PbxType}
    three = types["3cx"]
    assert (three["name"], three["default_transport"], three["default_port"]) == \
        ("3CX", "udp", 5060)
    assert three["auth_id_differs"] is True and "Authentication ID" in three["credentials"]
    assert "Disallow use of extension outside the LAN" in three["outside_network"]
    assert three["guide"] == "docs/pbx/3cx.md" and three["quirks"]
    assert types["other"]["outside_network"] is None


def test_it_needs_a_token(api):
    assert api.request("GET", "/v1/pbx-types").status == 401


def test_a_trunk_created_without_transport_or_port_reads_its_types_defaults(alice):
    trunk = alice.create(pbx_type="freepbx", transport=..., port=...)
    assert (trunk["transport"], trunk["port"]) == ("udp", 5060)
