"""The trunk lifecycle over HTTP, stored in DynamoDB and Secrets Manager on the moto server."""

from __future__ import annotations

import pytest

from .conftest import ISO_Z, valid_trunk

REPRESENTATION_KEYS = {"id", "pbx_type", "domain", "extension", "username", "transport", "port",
                       "tls_verify", "pbx_source_addresses", "answer_delay_seconds", "label",
                       "port_explicit", "outbound_proxy", "generation", "created_at", "updated_at", "registration",
                       "assignment", "agent_id", "edge_addresses"}


def test_create_answers_201_with_the_trunk_and_its_defaults(alice, storage):
    reply = alice.post("/v1/trunks", valid_trunk(domain="PBX.Example.com", label="Reception"))

    assert reply.status == 201
    trunk = reply.json
    assert set(trunk) == REPRESENTATION_KEYS
    assert trunk["id"].startswith("trk_")
    assert trunk["domain"] == "pbx.example.com"
    assert trunk["username"] == "1000"
    assert (trunk["transport"], trunk["port"]) == ("udp", 5060)
    assert trunk["port_explicit"] is False  # no port given: SRV records first, else 5060
    assert trunk["outbound_proxy"] is None
    assert trunk["label"] == "Reception"
    assert trunk["generation"] == 1
    assert ISO_Z.match(trunk["created_at"]) and ISO_Z.match(trunk["updated_at"])
    assert trunk["registration"] == {
        "state": "connecting", "label": "Connecting", "warning": None,
        "error": "Waiting for an edge to take this extension: none holds it right now (a new "
                 "or changed trunk, or an edge restarting or handing it over). It registers "
                 "within seconds of one taking it; nothing to change on the PBX.",
        "sip_code": None,
        "since": trunk["created_at"], "last_attempt_at": None, "expires_at": None,
    }
    assert trunk["assignment"] == {"held": False, "edge": None}
    assert trunk["agent_id"] is None
    assert trunk["answer_delay_seconds"] == 0  # answers at once unless told to ring first
    # What the PBX must allow: loopback on this machine (deployed: the Elastic IP pool).
    assert trunk["edge_addresses"] == {"addresses": ["127.0.0.1"], "rtp_port_first": 10000,
                                       "rtp_port_last": 19999}
    assert storage.password(trunk["id"]) == "correct horse battery staple"


def test_tls_trunks_default_to_port_5061(alice):
    trunk = alice.create(transport="tls")

    assert (trunk["transport"], trunk["port"]) == ("tls", 5061)


def test_an_explicit_username_and_port_are_kept(alice):
    trunk = alice.create(pbx_type="3cx", username="Ab3xYz", port=5080, transport="tcp")

    assert (trunk["username"], trunk["port"], trunk["transport"]) == ("Ab3xYz", 5080, "tcp")


def test_list_returns_the_tenants_trunks_oldest_first(alice):
    first = alice.create(extension="1000")
    second = alice.create(extension="1001")

    reply = alice.get("/v1/trunks")

    assert reply.status == 200
    assert reply.json == {"trunks": [first, second]}


def test_list_accepts_mode_register_and_rejects_other_modes(alice):
    trunk = alice.create()

    assert alice.get("/v1/trunks?mode=register").json == {"trunks": [trunk]}
    reply = alice.get("/v1/trunks?mode=trunk")
    assert reply.status == 400
    assert reply.error["field"] == "mode"
    assert "register" in reply.error["message"]


def test_get_returns_the_trunk(alice):
    trunk = alice.create()

    reply = alice.get(f"/v1/trunks/{trunk['id']}")

    assert (reply.status, reply.json) == (200, trunk)


def test_patching_only_the_label_keeps_the_generation(alice):
    trunk = alice.create()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"label": "Front desk"})

    assert reply.status == 200
    assert reply.json["label"] == "Front desk"
    assert reply.json["generation"] == trunk["generation"]
    assert reply.json["registration"] == trunk["registration"]
    assert alice.get(f"/v1/trunks/{trunk['id']}").json == reply.json


def test_the_answer_delay_changes_without_re_registering(alice):
    trunk = alice.create(answer_delay_seconds=5)
    assert trunk["answer_delay_seconds"] == 5

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"answer_delay_seconds": 12})

    assert (reply.status, reply.json["answer_delay_seconds"]) == (200, 12)
    assert reply.json["generation"] == trunk["generation"]  # calls in progress stay up
    assert reply.json["registration"] == trunk["registration"]
    assert alice.get(f"/v1/trunks/{trunk['id']}").json == reply.json


@pytest.mark.parametrize("value", [-1, 61, 2.5, "5", True, None])
def test_the_answer_delay_is_a_whole_number_of_seconds_up_to_a_minute(alice, storage, value):
    trunk = alice.create()
    before = storage.counts()

    created = alice.post("/v1/trunks", {**valid_trunk(extension="1001"),
                                        "answer_delay_seconds": value})
    patched = alice.patch(f"/v1/trunks/{trunk['id']}", {"answer_delay_seconds": value})

    for reply in (created, patched):
        assert (reply.status, reply.error["field"]) == (400, "answer_delay_seconds"), reply.json
    assert storage.counts() == before
    assert alice.get(f"/v1/trunks/{trunk['id']}").json == trunk


def test_a_null_label_clears_it(alice):
    trunk = alice.create(label="Reception")

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"label": None})

    assert (reply.status, reply.json["label"]) == (200, None)


@pytest.mark.parametrize("change", [
    {"password": "a new password"},
    {"domain": "pbx2.example.com"},
    {"transport": "tcp"},
    {"port": 5080},
    {"extension": "2000"},
    {"username": "other-user"},
], ids=lambda change: next(iter(change)))
def test_patching_how_the_trunk_registers_bumps_the_generation_and_reconnects(
        alice, storage, change):
    trunk = alice.create()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", change)

    assert reply.status == 200, reply.json
    assert reply.json["generation"] == trunk["generation"] + 1
    assert reply.json["registration"]["state"] == "connecting"
    assert reply.json["registration"]["label"] == "Connecting"
    assert reply.json["registration"]["since"] == reply.json["updated_at"]
    assert "password" not in reply.json
    expected = change.get("password", "correct horse battery staple")
    assert storage.password(trunk["id"]) == expected


def test_tls_certificates_are_verified_unless_the_admin_turns_it_off(alice):
    assert alice.create(transport="tls")["tls_verify"] is True
    self_signed = alice.create(transport="tls", extension="1001", tls_verify=False)
    assert self_signed["tls_verify"] is False
    assert alice.get(f"/v1/trunks/{self_signed['id']}").json["tls_verify"] is False


def test_turning_tls_verification_off_re_registers(alice):
    trunk = alice.create(transport="tls")

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"tls_verify": False})

    assert reply.status == 200, reply.json
    assert reply.json["tls_verify"] is False
    assert reply.json["generation"] == trunk["generation"] + 1


@pytest.mark.parametrize("value", ["false", 0, None])
def test_tls_verify_must_be_a_json_boolean(alice, storage, value):
    trunk = alice.create(transport="tls")
    before = storage.counts()

    created = alice.post("/v1/trunks", {**valid_trunk(extension="1001"), "tls_verify": value})
    patched = alice.patch(f"/v1/trunks/{trunk['id']}", {"tls_verify": value})

    for reply in (created, patched):
        assert (reply.status, reply.error["field"]) == (400, "tls_verify"), reply.json
        assert reply.error["message"] in ("tls_verify must be true or false",
                                          "tls_verify cannot be null")
    assert storage.counts() == before
    assert alice.get(f"/v1/trunks/{trunk['id']}").json == trunk


def test_changing_transport_to_tls_moves_the_default_port(alice):
    trunk = alice.create()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"transport": "tls"})

    assert (reply.json["transport"], reply.json["port"]) == ("tls", 5061)


def test_reregister_answers_202_and_bumps_the_generation(alice):
    trunk = alice.create()

    reply = alice.post(f"/v1/trunks/{trunk['id']}/reregister")

    assert reply.status == 202
    assert reply.json["generation"] == trunk["generation"] + 1
    assert reply.json["registration"]["state"] == "connecting"
    assert alice.post(f"/v1/trunks/{trunk['id']}/reregister", {}).json["generation"] == 3


def test_reregister_rejects_body_fields(alice):
    trunk = alice.create()

    reply = alice.post(f"/v1/trunks/{trunk['id']}/reregister", {"force": True})

    assert (reply.status, reply.error["field"]) == (400, "force")


def test_delete_answers_204_and_the_trunk_and_its_secret_are_gone(alice, storage):
    trunk = alice.create()
    secret = f"{storage.secret_prefix}/{trunk['id']}"
    assert secret in storage.secret_names()

    reply = alice.delete(f"/v1/trunks/{trunk['id']}")

    assert (reply.status, reply.body) == (204, b"")
    assert alice.get(f"/v1/trunks/{trunk['id']}").status == 404
    assert alice.delete(f"/v1/trunks/{trunk['id']}").status == 404
    assert alice.get("/v1/trunks").json == {"trunks": []}
    assert secret not in storage.secret_names()


def test_the_same_extension_on_the_same_pbx_twice_is_a_conflict(alice, storage):
    alice.create(domain="pbx.example.com", extension="1000")
    before = (storage.counts(), storage.secret_names())

    reply = alice.post("/v1/trunks", valid_trunk(domain="PBX.example.com.", extension="1000"))

    assert reply.status == 409
    assert reply.error == {
        "code": "conflict", "field": None,
        "message": "A trunk for extension 1000 on pbx.example.com already exists."}
    assert (storage.counts(), storage.secret_names()) == before


def test_patching_into_an_existing_extension_is_a_conflict(alice):
    alice.create(extension="1000")
    other = alice.create(extension="1001")

    reply = alice.patch(f"/v1/trunks/{other['id']}", {"extension": "1000"})

    assert (reply.status, reply.error["code"]) == (409, "conflict")
    assert alice.get(f"/v1/trunks/{other['id']}").json == other


def test_the_same_extension_for_another_tenant_is_fine(api, alice):
    mine = alice.create(extension="1000")

    theirs = api.as_tenant(f"{alice.tenant}-other").create(extension="1000")

    assert theirs["id"] != mine["id"]


def test_an_unknown_trunk_is_404_with_the_error_format(alice):
    reply = alice.get("/v1/trunks/trk_00000000000000000000")

    assert reply.status == 404
    assert reply.error == {"code": "not_found", "message": "No trunk trk_00000000000000000000.",
                           "field": None}


def test_a_malformed_trunk_id_is_404_and_not_echoed(alice):
    trunk_id = "x" * 3000

    reply = alice.get(f"/v1/trunks/{trunk_id}")

    assert reply.status == 404
    assert trunk_id not in reply.body.decode()


def test_extra_pbx_source_addresses_are_stored_normalised_and_re_register_when_changed(alice):
    trunk = alice.create(pbx_source_addresses=[" 198.51.100.7/32", "2001:db8:1::/64",
                                               "198.51.100.7"])
    assert trunk["pbx_source_addresses"] == ["198.51.100.7", "2001:db8:1::/64"]
    assert alice.create(extension="1001")["pbx_source_addresses"] == []

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", {"pbx_source_addresses": ["192.0.2.0/28"]})

    assert reply.status == 200, reply.json
    assert reply.json["pbx_source_addresses"] == ["192.0.2.0/28"]
    assert reply.json["generation"] == trunk["generation"] + 1


@pytest.mark.parametrize("sources, says", [
    (["pbx.example.com"], "is not an IP address or a CIDR network"),
    (["0.0.0.0/0"], "wider than /16"),
    (["2001:db8::/32"], "wider than /48"),
    ([f"192.0.2.{i}" for i in range(17)], "at most 16"),
])
def test_pbx_source_addresses_that_would_open_the_door_are_refused(alice, sources, says):
    reply = alice.post("/v1/trunks", valid_trunk(pbx_source_addresses=sources))
    assert reply.status == 400
    assert reply.error["field"] == "pbx_source_addresses" and says in reply.error["message"]
    assert "0.0.0.0" not in reply.error["message"] and "pbx.example" not in reply.error["message"]


def test_an_outbound_proxy_is_set_normalised_and_removed_with_null_re_registering(alice):
    trunk = alice.create(outbound_proxy="Edge.Hosted-PBX.example.com:5070")
    assert trunk["outbound_proxy"] == "edge.hosted-pbx.example.com:5070"

    cleared = alice.patch(f"/v1/trunks/{trunk['id']}", {"outbound_proxy": None})

    assert (cleared.status, cleared.json["outbound_proxy"]) == (200, None)
    assert cleared.json["generation"] == trunk["generation"] + 1  # it registers afresh


@pytest.mark.parametrize("proxy", ["sip:edge.example.com", "edge.example.com:0", 5070, ""])
def test_a_malformed_outbound_proxy_is_400_naming_it(alice, storage, proxy):
    before = storage.counts()

    reply = alice.post("/v1/trunks", {**valid_trunk(), "outbound_proxy": proxy})

    assert (reply.status, reply.error["field"]) == (400, "outbound_proxy"), reply.json
    assert storage.counts() == before


def test_a_port_given_is_used_as_given(alice):
    given = alice.create(port=5080)
    assert (given["port"], given["port_explicit"]) == (5080, True)
    patched = alice.patch(f"/v1/trunks/{alice.create(extension='1001')['id']}", {"port": 5062})
    assert (patched.json["port"], patched.json["port_explicit"]) == (5062, True)
