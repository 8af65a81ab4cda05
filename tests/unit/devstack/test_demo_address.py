"""SMARTALEX_DEMO_ADDRESS: one of this machine's addresses, or a message that says which to give."""

from __future__ import annotations

import pytest

from devstack.demo import demo_address


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.7", " 127.0.0.9 "])
def test_an_address_of_this_machine_is_taken(monkeypatch, value):
    monkeypatch.setenv("SMARTALEX_DEMO_ADDRESS", value)
    assert demo_address() == value.strip()


def test_loopback_is_the_default(monkeypatch):
    monkeypatch.delenv("SMARTALEX_DEMO_ADDRESS", raising=False)
    assert demo_address() == "127.0.0.1"


@pytest.mark.parametrize("value, message", [
    ("pbx.local", "is not an IP address"),
    ("0.0.0.0", "must be one address of this machine"),
    ("192.0.2.1", "is not an address of this machine"),  # TEST-NET-1: bound, never sent to
])
def test_anything_else_is_refused_with_what_to_give(monkeypatch, value, message):
    monkeypatch.setenv("SMARTALEX_DEMO_ADDRESS", value)
    with pytest.raises(SystemExit, match=message):
        demo_address()
