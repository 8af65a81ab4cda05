"""What an admin may type as a PBX host and as a SIP user part."""

import pytest

from smartalex.domain.sip import check_host, check_user_part, uri_host


@pytest.mark.parametrize("typed, stored", [
    ("pbx.example.com", "pbx.example.com"),
    ("PBX.Example.COM", "pbx.example.com"),
    ("pbx.example.com.", "pbx.example.com"),
    ("  pbx.example.com  ", "pbx.example.com"),
    ("my-pbx.example.co.uk", "my-pbx.example.co.uk"),
    ("pbx1.example.com", "pbx1.example.com"),
    ("localhost", "localhost"),
    ("203.0.113.10", "203.0.113.10"),
    ("2001:db8::10", "2001:db8::10"),
    ("[2001:db8::10]", "2001:db8::10"),
    ("2001:DB8:0:0:0:0:0:10", "2001:db8::10"),
    ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
    ("pbx.exämple.com", "pbx.xn--exmple-cua.com"),  # IDNA: the form DNS and SIP carry
    ("PBX.Bücher.example", "pbx.xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("fe80::1", "fe80::1"),
])
def test_a_valid_host_is_accepted_and_normalised(typed, stored):
    assert check_host(typed) == stored


@pytest.mark.parametrize("typed", [
    "sip:pbx.example.com",
    "SIPS:pbx.example.com",
    "https://pbx.example.com",
    "udp://pbx.example.com",
    "pbx example.com",
    "pbx.example.com:5060",
    "203.0.113.10:5060",
    "[2001:db8::10]:5060",
    "1000@pbx.example.com",
    "pbx.example.com/path",
    "",
    "   ",
    "a" * 64 + ".example.com",
    ".".join(["a" * 63] * 4),  # 255 characters
    "1.2.3",
    "256.1.1.1",
    "10.0.0.1.5",
    "-pbx.example.com",
    "pbx-.example.com",
    "pbx..example.com",
    "pbx_1.example.com",
    ".",
    # Zone ids: ipaddress accepts any text after the %, which would end up in SIP URIs.
    "fe80::1%eth0",
    "[fe80::1%eth0]",
    "fe80::1%a>;x=<sip:y@evil.example",
    "fe80::1%" + "a" * 2000,
    # SIP URI metacharacters, control characters, lengths.
    "pbx.example.com;transport=tcp",
    "<pbx.example.com>",
    '"pbx.example.com"',
    "pbx.example.com,evil.example",
    "pbx\x00.example.com",
    "pbx.example.com\r\nVia: x",
    "pbx\u200b.example.com",
    "[pbx.example.com]",
    "a" * 300,
    "exa\u0301mple..com",
])
def test_an_invalid_host_is_rejected(typed):
    with pytest.raises(ValueError):
        check_host(typed)


@pytest.mark.parametrize("typed, hint", [
    ("sip:pbx.example.com", "scheme"),
    ("https://pbx.example.com", "scheme"),
    ("pbx.example.com:5060", "port"),
    ("1000@pbx.example.com", "user"),
    ("pbx example.com", "spaces"),
    ("", "required"),
    ("fe80::1%eth0", "zone id"),
    ("pbx\x07.example.com", "control characters"),
    ("x" * 300, "at most 253 characters"),
])
def test_a_rejected_host_says_what_to_fix(typed, hint):
    with pytest.raises(ValueError, match=hint):
        check_host(typed)


def test_an_ipv6_host_is_bracketed_inside_a_sip_uri_and_a_name_is_not():
    assert uri_host("2001:db8::10") == "[2001:db8::10]"
    assert uri_host("pbx.example.com") == "pbx.example.com"


@pytest.mark.parametrize("typed, stored", [
    ("1000", "1000"),
    (" 1000 ", "1000"),
    ("alex.agent", "alex.agent"),
    ("ext_1000-a", "ext_1000-a"),
    ("user%40home", "user%40home"),
    ("a!~*'()&=+$,;?/", "a!~*'()&=+$,;?/"),
    ("9" * 32, "9" * 32),
])
def test_a_valid_user_part_is_accepted_and_trimmed(typed, stored):
    assert check_user_part(typed, 32) == stored


@pytest.mark.parametrize("typed", [
    "",
    "   ",
    "10 00",
    "1000@pbx.example.com",
    "sip:1000",
    "100%",
    "100%4",
    "100%zz",
    "10\x0000",
    "1000\"",
    "<1000>",
    "9" * 33,
])
def test_an_invalid_user_part_is_rejected(typed):
    with pytest.raises(ValueError):
        check_user_part(typed, 32)


def test_the_user_part_limit_is_the_one_given():
    assert check_user_part("u" * 128, 128) == "u" * 128
    with pytest.raises(ValueError, match="at most 128"):
        check_user_part("u" * 129, 128)


# --- outbound proxy ---

from smartalex.domain.sip import check_proxy  # noqa: E402


@pytest.mark.parametrize("value, stored", [
    ("Proxy.Example.com", "proxy.example.com"),
    ("proxy.example.com:5070", "proxy.example.com:5070"),
    ("203.0.113.5:5060", "203.0.113.5:5060"),
    ("[2001:DB8::1]:5070", "[2001:db8::1]:5070"),
    ("2001:db8::1", "2001:db8::1"),
])
def test_an_outbound_proxy_is_a_host_with_an_optional_port(value, stored):
    assert check_proxy(value) == stored


@pytest.mark.parametrize("value, says", [
    ("sip:proxy.example.com", "without a scheme"),
    ("proxy.example.com:0", "optionally with :port"),
    ("proxy.example.com:99999", "optionally with :port"),
    ("proxy.example.com:http", "optionally with :port"),
    ("proxy example.com", "spaces"),
    ("user@proxy.example.com", "without user or path"),
])
def test_a_malformed_outbound_proxy_is_refused_saying_why(value, says):
    with pytest.raises(ValueError, match=says):
        check_proxy(value)
