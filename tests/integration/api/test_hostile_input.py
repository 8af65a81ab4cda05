"""What an attacker on the local stack sent: every hostile body is a 400 naming what is wrong,
nothing is written, and requests no operation takes are answered in the error format without
repeating the token or any header."""

from __future__ import annotations

import json

import pytest

from .conftest import MARK, valid_trunk

AGENT = {"name": "Sales bot", "kind": "media_stream", "stream_url": "wss://agent.example.com/s"}


def nested(depth: int) -> bytes:
    return b'{"label": ' + b"[" * depth + b"]" * depth + b"}"


# (case id, raw body of POST /v1/trunks, field, start of the message)
TRUNK_BODIES = [
    ("nested 1,000 levels (2 KB)", nested(1000), None, "The request body nests"),
    ("a 2 KB IPv6 zone id", json.dumps(valid_trunk(domain="fe80::1%" + MARK * 500)).encode(),
     "domain", "domain must be at most 253 characters"),
    ("SIP metacharacters in a zone id",
     json.dumps(valid_trunk(domain=f"fe80::1%a>;x=<sip:{MARK}@evil.example")).encode(),
     "domain", "domain must not include a zone id"),
    ("a bracketed zone id", json.dumps(valid_trunk(domain=f"[fe80::1%{MARK}]")).encode(),
     "domain", "domain must not include a zone id"),
    ("SIP parameters after the host", json.dumps(valid_trunk(domain=f"pbx.{MARK}.com;lr")).encode(),
     "domain", "domain is not a valid host name"),
    ("angle brackets and quotes", json.dumps(valid_trunk(domain=f'"<{MARK}>"')).encode(),
     "domain", "domain is not a valid host name"),
    ("a comma", json.dumps(valid_trunk(domain=f"a.{MARK}.com,b.example.com")).encode(),
     "domain", "domain is not a valid host name"),
    ("a NUL in the domain", json.dumps(valid_trunk(domain=f"pbx\u0000{MARK}.com")).encode(),
     "domain", "domain must not contain control characters"),
    ("a host name longer than DNS allows", json.dumps(valid_trunk(
        domain=".".join([MARK * 15] * 5))).encode(), "domain", "domain must be at most 253"),
    ("a 40 KB body", json.dumps(valid_trunk(label=MARK * 10_000)).encode(), None,
     "The request body is larger than 32 KB"),
    ("a port of 5,000 digits", json.dumps(valid_trunk()).encode()[:-1] + b', "port": '
     + b"9" * 5000 + b"}", "port", "port is a number of more than 30 digits"),
    ("a port of 1e999", json.dumps(valid_trunk()).encode()[:-1] + b', "port": 1e999}', "port",
     "port is a number too large"),
    ("NaN", json.dumps(valid_trunk()).encode()[:-1] + b', "port": NaN}', "port",
     "port must be a number, not NaN"),
    ("a duplicate password", b'{"pbx_type": "asterisk", "domain": "pbx.example.com", '
     b'"extension": "1000", "password": "' + MARK.encode() + b'", "password": "other"}',
     "password", "password is given twice"),
    ("a lone surrogate", json.dumps(valid_trunk()).encode()[:-1] + b', "label": "\\ud800'
     + MARK.encode() + b'"}', "label", "label is not valid Unicode text"),
    ("a surrogate in a field name", json.dumps(valid_trunk()).encode()[:-1]
     + b', "\\udfff": 1}', None, "A field name in the request body is not valid Unicode"),
    ("an unknown field with an odd name", json.dumps(valid_trunk(**{f"<{MARK}>": 1})).encode(),
     None, "A field in the request body is not a known field"),
    ("a line break in the label", json.dumps(valid_trunk(label=f"{MARK}\nx")).encode(),
     "label", "label must not contain control characters"),
    ("tls_verify as a string", json.dumps(valid_trunk(tls_verify="yes")).encode(), "tls_verify",
     "tls_verify must be true or false"),
    ("UTF-16", json.dumps(valid_trunk()).encode("utf-16"), None,
     "The request body must be UTF-8 encoded JSON"),
]


@pytest.fixture
def nothing_written(alice, storage):
    before = (storage.all_items(), storage.secret_names())
    yield
    assert (storage.all_items(), storage.secret_names()) == before


@pytest.mark.parametrize("raw, field, message", [c[1:] for c in TRUNK_BODIES],
                         ids=[c[0] for c in TRUNK_BODIES])
def test_hostile_trunk_bodies_are_400s_naming_the_field(alice, nothing_written, raw, field,
                                                       message):
    reply = alice.post("/v1/trunks", raw=raw)

    assert reply.status == 400, reply.body[:300]
    assert reply.error["code"] == "invalid_input"
    assert reply.error["field"] == field
    assert reply.error["message"].startswith(message), reply.error["message"]
    assert MARK not in reply.body.decode()


@pytest.mark.parametrize("method, path, raw, field", [
    ("POST", "/v1/agents", nested(1000), None),
    ("POST", "/v1/agents", json.dumps(
        {**AGENT, "stream_url": f"ws://u:{MARK}@agent.example.com/"}).encode(), "stream_url"),
    ("POST", "/v1/agents", json.dumps(
        {**AGENT, "stream_url": f"ws://[fe80::1%25{MARK}]/"}).encode(), "stream_url"),
    ("POST", "/v1/agents", b'{"name": "\\ud800", "kind": "receptionist"}', "name"),
    ("POST", "/v1/phone-numbers/pbx-extension", nested(50), None),
    ("PUT", "/v1/settings", b'{"default_country": "IE", "default_country": "GB"}',
     "default_country"),
    ("PUT", "/v1/settings", b'{"default_country": 1' + b"0" * 400 + b"}", "default_country"),
], ids=["agent nested", "agent URL with a password", "agent URL with a zone id",
        "agent name with a surrogate", "number nested", "settings duplicate", "settings huge"])
def test_hostile_bodies_are_refused_on_every_resource(alice, nothing_written, method, path,
                                                      raw, field):
    reply = alice.api.request(method, path, raw=raw, tenant=alice.tenant)

    assert reply.status == 400, reply.body[:300]
    assert reply.error["code"] == "invalid_input"
    assert reply.error["field"] == field
    assert MARK not in reply.body.decode()


def test_hostile_directory_and_patch_bodies_change_nothing(alice, storage):
    trunk = alice.create()
    before = (storage.all_items(), storage.secret_names())
    directory = f"/v1/trunks/{trunk['id']}/directory"

    replies = [
        alice.post(directory, raw=b'{"extension": "215", "display_name": "S", "aliases": '
                   + b"[" * 30 + b"]" * 30 + b"}"),
        alice.post(directory, {"extension": "215", "display_name": "S", "aliases": "billing"}),
        alice.put(f"{directory}/215", raw=b'{"display_name": "a", "display_name": "b"}'),
        alice.post(f"{directory}/resolve", raw=b'{"text": "\\udc00"}'),
        alice.patch(f"/v1/trunks/{trunk['id']}", {"domain": f"fe80::1%{MARK}"}),
        alice.patch(f"/v1/trunks/{trunk['id']}", raw=nested(900)),
    ]

    assert [r.status for r in replies] == [400] * len(replies), [r.body[:200] for r in replies]
    assert (storage.all_items(), storage.secret_names()) == before


def test_an_unknown_path_is_a_404_that_repeats_no_header(api, alice):
    token_marker = "Bearer-" + MARK
    for path in ("/", "/v2/trunks", "/v1/trunk", "/v1/trunks/x/nothing/here",
                 "/a/b/c/d/e/f/g/h"):
        reply = api.request("GET", path, headers={"Authorization": f"Bearer {token_marker}",
                                                  "X-Probe": MARK})

        assert reply.status == 404, (path, reply.body)
        assert reply.error == {"code": "not_found", "field": None,
                               "message": reply.error["message"]}
        assert "openapi.json" in reply.error["message"]
        assert MARK not in reply.body.decode() + json.dumps(reply.headers)


@pytest.mark.parametrize("method, path, allowed", [
    ("PUT", "/v1/trunks", "GET, POST"),
    ("DELETE", "/v1/openapi.json", "GET"),
    ("POST", "/v1/trunks/trk_00000000000000000000", "DELETE, GET, PATCH"),
    ("GET", "/v1/agents/agt_00000000000000000000/telephony", "DELETE, PUT"),
])
def test_a_method_the_path_lacks_is_a_405_listing_the_methods_it_takes(api, tenant, method,
                                                                       path, allowed):
    reply = api.request(method, path, {}, tenant=tenant)

    assert reply.status == 405, reply.body
    assert reply.headers["Allow"] == allowed
    assert reply.error["code"] == "method_not_allowed"
    assert reply.error["message"].endswith(f"it takes {allowed}.")


def test_a_body_that_is_not_json_is_a_415_that_does_not_repeat_the_content_type(alice):
    reply = alice.post("/v1/trunks", raw=b"domain=x", headers={"Content-Type": f"text/{MARK}"})

    assert reply.status == 415, reply.body
    assert reply.error["code"] == "unsupported_media_type"
    assert MARK not in reply.body.decode()


def test_a_query_parameter_the_operation_does_not_take_is_a_400_naming_it(alice, tenant):
    typo = alice.get("/v1/trunks?mdoe=register")
    odd = alice.get(f"/v1/agents?{MARK}%3C=1")

    assert typo.status == 400 and typo.error["field"] == "mdoe", typo.json
    assert typo.error["message"] == ("mdoe is not a query parameter of this operation; it "
                                     "takes mode.")
    assert odd.status == 400 and odd.error["field"] is None
    assert MARK not in odd.body.decode()
    assert alice.get("/v1/trunks?mode=register").status == 200
