"""The console's origin, and only it, may call the API from a browser (routes/cors.py)."""

from __future__ import annotations

import pytest

CONSOLE = "https://console.example.test"


@pytest.fixture
def console_origin(monkeypatch):
    monkeypatch.setenv("SMARTALEX_CONSOLE_ORIGIN", CONSOLE + "/")  # a trailing / is forgiven
    return CONSOLE


def preflight(api, path, origin, method="POST"):
    return lowered(api.request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"}))


def lowered(reply):
    reply.headers = {name.lower(): value for name, value in reply.headers.items()}
    return reply


def test_a_preflight_from_the_console_is_answered_with_the_paths_methods(api, console_origin):
    reply = preflight(api, "/v1/trunks/trk_0123456789abcdef0123", CONSOLE, "PATCH")
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == CONSOLE
    assert reply.headers["access-control-allow-methods"] == "DELETE, GET, PATCH"
    assert reply.headers["access-control-allow-headers"] == "Authorization, Content-Type"


def test_an_answer_to_the_console_carries_its_origin_and_to_anyone_else_none(api, alice,
                                                                            console_origin):
    mine = lowered(alice.get("/v1/trunks", headers={"Origin": CONSOLE}))
    assert mine.status == 200 and mine.headers["access-control-allow-origin"] == CONSOLE
    assert mine.headers["vary"] == "Origin"
    theirs = lowered(alice.get("/v1/trunks", headers={"Origin": "https://evil.example.test"}))
    assert theirs.status == 200 and "access-control-allow-origin" not in theirs.headers
    # An error the console must show (a 400's message) is readable to it too.
    bad = lowered(alice.post("/v1/trunks", {"domain": "x"}, headers={"Origin": CONSOLE}))
    assert bad.status == 400 and bad.headers["access-control-allow-origin"] == CONSOLE


def test_a_preflight_from_another_origin_is_refused_without_cors_headers(api, console_origin):
    for origin in ("https://evil.example.test", "null", CONSOLE + ".evil.example.test"):
        reply = preflight(api, "/v1/trunks", origin)
        assert reply.status == 403, origin
        assert reply.error["code"] == "origin_not_allowed"
        assert "access-control-allow-origin" not in reply.headers


def test_without_a_console_origin_configured_no_origin_gets_cors(api, alice, monkeypatch):
    monkeypatch.delenv("SMARTALEX_CONSOLE_ORIGIN", raising=False)
    assert preflight(api, "/v1/trunks", CONSOLE).status == 403
    assert "access-control-allow-origin" not in lowered(alice.get(
        "/v1/trunks", headers={"Origin": CONSOLE})).headers


def test_preflights_are_not_operations_of_the_openapi_document(api, console_origin):
    paths = api.request("GET", "/v1/openapi.json").json["paths"]
    assert not [p for p, ops in paths.items() if "options" in ops]
