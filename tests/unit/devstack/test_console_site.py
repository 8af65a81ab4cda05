"""The local console site (devstack/console.py): the built files, config.json, the headers."""

from __future__ import annotations

import json
import urllib.request

import pytest

from devstack.console import ConsoleNotBuilt, ConsoleSite, serve
from devstack.pbx import free_port
from smartalex.console_site import local_config

API = "http://127.0.0.1:8000"


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>SmartAlex</title>")
    (tmp_path / "assets" / "app-1a2b.js").write_text("export {}")
    (tmp_path.parent / "secret.txt").write_text("not the console's")
    return tmp_path


@pytest.fixture
def site(dist):
    return ConsoleSite(dist, local_config(API, "local"), API)


def test_config_json_tells_the_console_where_the_api_is_and_that_sign_in_is_local(site):
    status, kind, body, cache = site.answer("/config.json")
    assert (status, kind, cache) == (200, "application/json", "no-store")
    assert json.loads(body) == {"apiUrl": API, "stage": "local", "auth": {"mode": "local"}}


def test_assets_are_served_immutable_and_pages_of_the_app_get_index_html(site):
    status, kind, body, cache = site.answer("/assets/app-1a2b.js")
    assert status == 200 and kind == "text/javascript" and "immutable" in cache
    for page in ("/", "/trunks/trk_1", "/numbers?x=1"):
        status, kind, body, cache = site.answer(page)
        assert (status, cache) == (200, "no-cache") and b"SmartAlex" in body, page


def test_nothing_outside_the_build_is_served_and_missing_files_are_404(site):
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt",
                 "/assets/missing.js", "/favicon.ico"):
        status, _, body, _ = site.answer(path)
        assert status == 404 and b"not the console" not in body, path


def test_a_console_not_built_says_how_to_build_it(tmp_path):
    with pytest.raises(ConsoleNotBuilt, match="make console"):
        ConsoleSite(tmp_path, {}, API)


def test_every_answer_carries_the_security_headers_with_the_api_in_connect_src(site, tmp_path):
    port = free_port()
    server = serve(site, "127.0.0.1", port, tmp_path / "console.log")
    try:
        for path in ("/", "/config.json", "/nope.js"):
            try:
                reply = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
            except urllib.error.HTTPError as err:
                reply = err
            csp = reply.headers["Content-Security-Policy"]
            assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
            assert f"connect-src 'self' {API};" in csp
            assert reply.headers["X-Frame-Options"] == "DENY"
            assert reply.headers["X-Content-Type-Options"] == "nosniff"
            assert "Strict-Transport-Security" not in reply.headers  # plain HTTP on loopback
    finally:
        server.shutdown()
    assert "GET /config.json" in (tmp_path / "console.log").read_text()
