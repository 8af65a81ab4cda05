"""Every field is checked before anything is stored, and the error names the field without
echoing the value (which could be a password). "qz9x" marks the values that must not appear."""

from __future__ import annotations

import json

import pytest

from .conftest import MARK, assert_rejected, valid_trunk

PBX_TYPES = "'3cx', 'yeastar', 'freepbx', 'asterisk', 'grandstream' or 'other'"

# (case id, request body as bytes, field, start of the message)
CREATE_CASES = [
    ("domain with a scheme", valid_trunk(domain=f"sip://{MARK}.example.com"), "domain",
     "domain must be a host name or IP address without a scheme"),
    ("domain with an sip: prefix", valid_trunk(domain=f"sip:{MARK}.example.com"), "domain",
     "domain must be a host name or IP address without a scheme"),
    ("domain with spaces", valid_trunk(domain=f"{MARK} example.com"), "domain",
     "domain must not contain spaces"),
    ("domain with a port", valid_trunk(domain=f"{MARK}.example.com:5060"), "domain",
     "domain must not include a port"),
    ("domain with a path", valid_trunk(domain=f"{MARK}.example.com/sip"), "domain",
     "domain must be a host name or IP address only"),
    ("empty domain", valid_trunk(domain=""), "domain", "domain is required"),
    ("missing domain", valid_trunk(domain=...), "domain", "domain is required"),
    ("domain not a string", valid_trunk(domain=42), "domain", "domain must be a valid string"),
    ("extension with @", valid_trunk(extension=f"{MARK}@pbx"), "extension",
     "extension may contain only letters, digits"),
    ("extension with :", valid_trunk(extension=f"{MARK}:5060"), "extension",
     "extension may contain only letters, digits"),
    ("extension with spaces", valid_trunk(extension=f"{MARK} 100"), "extension",
     "extension may contain only letters, digits"),
    ("extension too long", valid_trunk(extension=MARK * 9), "extension",
     "extension must be at most 32 characters"),
    ("empty extension", valid_trunk(extension=""), "extension", "extension is required"),
    ("extension as a number", valid_trunk(extension=1000), "extension",
     "extension must be a valid string"),
    ("username with @", valid_trunk(username=f"{MARK}@pbx"), "username",
     "username may contain only letters, digits"),
    ("username with :", valid_trunk(username=f"{MARK}:x"), "username",
     "username may contain only letters, digits"),
    ("username with spaces", valid_trunk(username=f"{MARK} user"), "username",
     "username may contain only letters, digits"),
    ("username too long", valid_trunk(username=MARK * 33), "username",
     "username must be at most 128 characters"),
    ("empty password", valid_trunk(password=""), "password", "password is required"),
    ("missing password", valid_trunk(password=...), "password", "password is required"),
    ("password too long", valid_trunk(password=MARK * 33), "password",
     "password must be at most 128 characters"),
    ("password with a newline", valid_trunk(password=f"{MARK}\nsecret"), "password",
     "password must not contain control characters or line breaks"),
    ("password not a string", valid_trunk(password=123456), "password",
     "password must be a valid string"),
    ("unknown transport", valid_trunk(transport=MARK), "transport",
     "transport must be 'udp', 'tcp' or 'tls'"),
    ("port 0", valid_trunk(port=0), "port", "port must be greater than or equal to 1"),
    ("port 65536", valid_trunk(port=65536), "port", "port must be less than or equal to 65535"),
    ("port as a string", valid_trunk(port="5060"), "port", "port must be a valid integer"),
    ("port as a bool", valid_trunk(port=True), "port", "port must be a valid integer"),
    ("port as a float", valid_trunk(port=5060.5), "port", "port must be a valid integer"),
    ("unknown pbx_type", valid_trunk(pbx_type=MARK), "pbx_type", f"pbx_type must be {PBX_TYPES}"),
    ("missing pbx_type", valid_trunk(pbx_type=...), "pbx_type", "pbx_type is required"),
    ("label too long", valid_trunk(label=MARK * 17), "label",
     "label must be at most 64 characters"),
    ("unknown field", valid_trunk(colour=MARK), "colour", "colour is not a known field"),
    ("tenant_id in the body", valid_trunk(tenant_id=MARK), "tenant_id",
     "tenant_id is not a known field; it is taken from your sign-in token"),
    ("trunk_id in the body", valid_trunk(trunk_id=MARK), "trunk_id",
     "trunk_id is not a known field"),
    ("id in the body", valid_trunk(id=MARK), "id", "id is not a known field"),
]
RAW_CASES = [
    ("malformed JSON", b'{"domain": "' + MARK.encode(), "The request body is not valid JSON"),
    ("trailing garbage", b'{"domain": "x"} ' + MARK.encode(), "The request body is not valid JSON"),
    ("a JSON array", json.dumps([MARK]).encode(), "The request body must be a JSON object"),
    ("a JSON string", json.dumps(MARK).encode(), "The request body must be a JSON object"),
    ("an empty body", b"", "The request body must be a JSON object"),
    ("not UTF-8", b'{"domain": "\xff\xfe' + MARK.encode() + b'"}', "The request body must be"),
]


@pytest.fixture
def nothing_written(alice, storage):
    """Asserts afterwards that no trunk, claim or secret was written anywhere."""
    before = (storage.counts(), storage.secret_names(), alice.get("/v1/trunks").json)
    yield
    assert (storage.counts(), storage.secret_names(), alice.get("/v1/trunks").json) == before


@pytest.mark.parametrize("body, field, message", [c[1:] for c in CREATE_CASES],
                         ids=[c[0] for c in CREATE_CASES])
def test_create_rejects_invalid_fields_by_name_and_writes_nothing(
        alice, nothing_written, body, field, message):
    assert_rejected(alice.post("/v1/trunks", body), field, message)


@pytest.mark.parametrize("raw, message", [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_create_rejects_bodies_that_are_not_json_objects_and_writes_nothing(
        alice, nothing_written, raw, message):
    assert_rejected(alice.post("/v1/trunks", raw=raw), None, message)


PATCH_CASES = [
    ("null domain", {"domain": None}, "domain", "domain cannot be null"),
    ("null password", {"password": None}, "password", "password cannot be null"),
    ("domain with a scheme", {"domain": f"https://{MARK}.example.com"}, "domain",
     "domain must be a host name or IP address without a scheme"),
    ("empty password", {"password": ""}, "password", "password is required"),
    ("password with a newline", {"password": f"{MARK}\r\n"}, "password",
     "password must not contain control characters"),
    ("extension with spaces", {"extension": f"{MARK} 1"}, "extension",
     "extension may contain only"),
    ("port 0", {"port": 0}, "port", "port must be greater than or equal to 1"),
    ("unknown transport", {"transport": MARK}, "transport", "transport must be"),
    ("unknown field", {"colour": MARK}, "colour", "colour is not a known field"),
    ("read-only field", {"generation": 7}, "generation", "generation is not a known field"),
    ("tenant_id in the body", {"tenant_id": MARK}, "tenant_id", "tenant_id is not a known field"),
    ("trunk_id in the body", {"trunk_id": MARK}, "trunk_id",
     "trunk_id is not a known field; it is taken from the URL"),
]


@pytest.mark.parametrize("body, field, message", [c[1:] for c in PATCH_CASES],
                         ids=[c[0] for c in PATCH_CASES])
def test_patch_rejects_invalid_fields_and_leaves_the_trunk_and_its_secret_unchanged(
        alice, storage, body, field, message):
    trunk = alice.create()

    assert_rejected(alice.patch(f"/v1/trunks/{trunk['id']}", body), field, message)

    assert alice.get(f"/v1/trunks/{trunk['id']}").json == trunk
    assert storage.password(trunk["id"]) == "correct horse battery staple"


def test_patch_rejects_malformed_json(alice):
    trunk = alice.create()

    reply = alice.patch(f"/v1/trunks/{trunk['id']}", raw=b"{label: 'x'}")

    assert_rejected(reply, None, "The request body is not valid JSON")
    assert alice.get(f"/v1/trunks/{trunk['id']}").json == trunk
