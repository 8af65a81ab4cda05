"""Signing in on a deployed stage, in Chromium: the built console with a `cognito` config.json
goes to the hosted UI with an S256 code challenge and a random state, exchanges the code with
the verifier at /oauth2/token, calls the API with the ID token, refuses a code whose state is
not its own, and signs out at /logout.

Cognito, the site and the API are played by the test (Playwright answers every request on
loopback addresses nothing listens on), so this needs neither AWS nor the local stack; the
site answers with the deployed stages' headers, Content-Security-Policy included."""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from smartalex.console_site import cognito_config, security_headers
from tests.conftest import free_port

from .conftest import CONSOLE, build_console, watched_context

SITE = f"http://127.0.0.1:{free_port()}"
COGNITO = f"http://127.0.0.1:{free_port()}"
API = f"http://127.0.0.1:{free_port()}"
CLIENT_ID = "console-client-id"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(tenant: str = "acme") -> str:
    claims = {"sub": "user-1", "custom:tenant_id": tenant, "exp": int(time.time()) + 3600,
              "token_use": "id", "aud": CLIENT_ID}
    return ".".join([_b64(b'{"alg":"RS256","kid":"k"}'), _b64(json.dumps(claims).encode()),
                     _b64(b"signature")])


class FakeDeployment:
    """The site (console/dist + config.json), the user pool's hosted UI and the API."""

    def __init__(self, page: Page):
        self.dist = CONSOLE / "dist"
        self.headers = security_headers([API, COGNITO], https=False)
        self.config = cognito_config(API, "prod", domain=COGNITO, client_id=CLIENT_ID,
                                     redirect_uri=f"{SITE}/")
        self.authorize: list[dict] = []
        self.exchanges: list[dict] = []
        self.api_calls: list[tuple[str, str, str | None]] = []
        self.logouts: list[dict] = []
        self.token = id_token()
        self.expired = False  # the API answers 401, as for an ID token past its exp
        page.route(f"{SITE}/**", self.site)
        page.route(f"{COGNITO}/**", self.cognito)
        page.route(f"{API}/**", self.api)

    def site(self, route):
        path = urlsplit(route.request.url).path
        if path == "/config.json":
            return route.fulfill(json=self.config, headers=self.headers)
        file = self.dist / (path.lstrip("/") or "index.html")
        if not file.is_file():
            file = self.dist / "index.html"
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(body=file.read_bytes(), content_type=kind, headers=self.headers)

    def cognito(self, route):
        request = route.request
        url = urlsplit(request.url)
        cors = {"Access-Control-Allow-Origin": SITE}
        if url.path == "/oauth2/authorize":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.authorize.append(query)
            back = f"{query['redirect_uri']}?code=the-code&state={query['state']}"
            return route.fulfill(status=302, headers={"Location": back})
        if url.path == "/oauth2/token" and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.post_data or "").items()}
            self.exchanges.append(form)
            challenge = _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            if challenge != self.authorize[-1]["code_challenge"] or form.get("code") != "the-code":
                return route.fulfill(status=400, json={"error": "invalid_grant"}, headers=cors)
            return route.fulfill(json={"id_token": self.token, "access_token": "access",
                                       "token_type": "Bearer", "expires_in": 3600},
                                 headers=cors)
        if url.path == "/logout":
            self.logouts.append({k: v[0] for k, v in parse_qs(url.query).items()})
            return route.fulfill(body="<title>Signed out</title>Signed out",
                                 content_type="text/html")
        route.fulfill(status=404, body="")

    def api(self, route):
        request = route.request
        cors = {"Access-Control-Allow-Origin": SITE, "Vary": "Origin"}
        if request.method == "OPTIONS":
            return route.fulfill(status=204, headers={
                **cors, "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
                "Access-Control-Allow-Headers": "Authorization, Content-Type"})
        path = urlsplit(request.url).path
        self.api_calls.append((request.method, path, request.headers.get("authorization")))
        if self.expired:
            return route.fulfill(status=401, headers={**cors, "WWW-Authenticate": "Bearer"},
                                 json={"error": {"code": "unauthorized", "field": None,
                                                 "message": "The token has expired."}})
        bodies = {"/v1/phone-numbers": {"phone_numbers": []}, "/v1/trunks": {"trunks": []},
                  "/v1/agents": {"agents": []},
                  "/v1/settings": {"default_country": None, "updated_at": None}}
        route.fulfill(json=bodies.get(path, {}), headers=cors)


@pytest.fixture
def deployed(browser):
    build_console()
    context = watched_context(browser)
    page = context.new_page()
    try:
        yield page, FakeDeployment(page)
        context.watch.check()
    finally:
        context.close()


def test_sign_in_with_pkce_calls_the_api_with_the_id_token_and_sign_out_ends_it(deployed):
    page, fake = deployed
    page.goto(f"{SITE}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to SmartAlex")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Phone Numbers")
    [asked] = fake.authorize
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == f"{SITE}/" and asked["scope"] == "openid email"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) == 43
    [exchange] = fake.exchanges
    assert exchange["grant_type"] == "authorization_code" and exchange["client_id"] == CLIENT_ID
    assert exchange["redirect_uri"] == f"{SITE}/"
    assert page.url == f"{SITE}/"  # the code and state are gone from the address bar
    expect(page.get_by_text("Tenant: acme")).to_be_visible()
    assert fake.api_calls and all(auth == f"Bearer {fake.token}"
                                  for _, _, auth in fake.api_calls)

    page.reload()  # the session survives a reload of the tab, without signing in again
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone Numbers")
    assert len(fake.authorize) == 1

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("Signed out")).to_be_visible()
    assert fake.logouts == [{"client_id": CLIENT_ID, "logout_uri": f"{SITE}/"}]
    page.goto(f"{SITE}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to SmartAlex")


def test_a_code_that_this_tab_did_not_ask_for_is_never_exchanged(deployed):
    page, fake = deployed
    page.goto(f"{SITE}/?code=stolen-code&state=guessed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to SmartAlex")
    expect(page.get_by_role("alert")).to_contain_text("not from this browser tab")
    assert fake.exchanges == [] and fake.api_calls == []
    assert page.url == f"{SITE}/"


def test_when_the_api_no_longer_takes_the_token_the_console_asks_to_sign_in_again(deployed):
    page, fake = deployed
    page.goto(f"{SITE}/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone Numbers")
    fake.expired = True
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Agents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to SmartAlex")
    expect(page.get_by_role("alert")).to_have_text("Your session ended. Sign in again.")
    fake.expired = False
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agents")  # back where it was
    assert page.url == f"{SITE}/#/agents"
