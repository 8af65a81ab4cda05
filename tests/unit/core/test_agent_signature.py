"""The handshake signature: what is signed, how it is checked, and what is refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from smartalex.domain import agent_signature as sig

SECRET = "sig_" + "k" * 43
URL = "wss://agent.example.com/stream?tenant=acme"
NOW = 1_767_225_600


def test_the_signature_is_hex_hmac_sha256_of_timestamp_newline_url():
    expected = hmac.new(SECRET.encode(), f"{NOW}\n{URL}".encode(), hashlib.sha256).hexdigest()

    assert sig.sign(SECRET, URL, NOW) == expected
    assert sig.headers(SECRET, URL, NOW + 0.9) == {"X-SmartAlex-Timestamp": str(NOW),
                                                   "X-SmartAlex-Signature": expected}


def test_a_signature_verifies_within_the_allowed_skew_either_way():
    h = sig.headers(SECRET, URL, NOW)
    ts, signature = h[sig.TIMESTAMP_HEADER], h[sig.SIGNATURE_HEADER]

    assert sig.verify(SECRET, URL, ts, signature, now=NOW)
    assert sig.verify(SECRET, URL, ts, signature, now=NOW + sig.MAX_SKEW_SECONDS)
    assert sig.verify(SECRET, URL, ts, signature, now=NOW - sig.MAX_SKEW_SECONDS)
    assert sig.verify(SECRET, URL, ts, signature.upper(), now=NOW)  # hex case does not matter


@pytest.mark.parametrize("change", [
    {"secret": "sig_" + "x" * 43}, {"url": URL + "&x=1"}, {"url": URL.replace("wss", "ws")},
    {"now": NOW + sig.MAX_SKEW_SECONDS + 1}, {"now": NOW - sig.MAX_SKEW_SECONDS - 1},
    {"timestamp": str(NOW + 1)}, {"timestamp": None}, {"timestamp": ""},
    {"timestamp": "1e9"}, {"timestamp": "-5"}, {"timestamp": "٣٣"},  # Arabic-Indic digits
    {"timestamp": "9" * 40}, {"signature": None}, {"signature": ""},
    {"signature": "é" * 64}, {"signature": "00" * 32},
])
def test_anything_else_does_not_verify(change):
    h = sig.headers(SECRET, URL, NOW)
    args = {"secret": SECRET, "url": URL, "timestamp": h[sig.TIMESTAMP_HEADER],
            "signature": h[sig.SIGNATURE_HEADER], "now": NOW, **change}

    assert not sig.verify(args["secret"], args["url"], args["timestamp"], args["signature"],
                          now=args["now"])


def test_new_secrets_are_prefixed_long_and_distinct():
    made = {sig.new_secret() for _ in range(50)}

    assert len(made) == 50
    assert all(s.startswith("sig_") and len(s) == 4 + 43 for s in made)
