"""The admin console in a real browser: Debian's Chromium driven by Playwright, against the whole
local stack (`make run` in a child process: API, local AWS endpoint, edge, demo Kamailio, and
the console's site serving console/dist with its Content-Security-Policy).

The browser reaches nothing but loopback: every request to another host is aborted (and
recorded, so a test fails if the console ever tried), and its resolver knows no other name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "console"
# Where the screenshots go: docs/console/ (committed, shown by the README), or elsewhere.
SCREENSHOTS = Path(os.environ.get("SMARTALEX_CONSOLE_SCREENSHOTS", ROOT / "docs" / "console"))
CHROMIUM = os.environ.get("SMARTALEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _sources_newer_than(target: Path) -> bool:
    built = target.stat().st_mtime
    sources = [CONSOLE / "index.html", CONSOLE / "package-lock.json", CONSOLE / "vite.config.ts",
               *(CONSOLE / "src").rglob("*"), *(CONSOLE / "public").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def build_console() -> None:
    """console/dist as `make` builds it, unless it is already there and newer than its sources."""
    index = CONSOLE / "dist" / "index.html"
    if index.is_file() and not _sources_newer_than(index):
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to build the console (scripts/install-system-deps.sh installs it)")
    if not (CONSOLE / "node_modules" / ".bin" / "vite").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CONSOLE,
                       check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=CONSOLE, check=True,
                   stdout=subprocess.DEVNULL)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from devstack.runtime_policies import templates

    build_console()
    templates()  # a clean clone synthesizes the runtimes' IAM policies here, not in the wait
    # A trunk given by name (one test's has no port, so the edge asks for its SRV records)
    # must never send the edge's DNS queries off this machine: only to loopback, where nothing
    # answers them.
    local = LocalStack(tmp_path_factory.mktemp("console-state"),
                       SMARTALEX_EDGE_NAMESERVERS="127.0.0.1")
    try:
        yield local.wait_ready(120)
    finally:
        local.kill()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(scripts/install-system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watch:
    """What the page did that a test must not accept: requests off loopback, CSP violations,
    uncaught errors."""

    def __init__(self):
        self.blocked: list[str] = []
        self.problems: list[str] = []

    def check(self) -> None:
        assert self.blocked == [], f"the console tried to reach beyond loopback: {self.blocked}"
        assert self.problems == [], f"the page reported: {self.problems}"


def watched_context(browser):
    """A fresh browser context (no storage) at laptop width whose pages reach loopback only;
    `.watch` holds what went wrong."""
    context = browser.new_context(viewport=LAPTOP, service_workers="block")
    watch = Watch()
    context.watch = watch

    def guard(route):
        if is_loopback(route.request.url):
            route.continue_()
        else:
            watch.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", guard)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            watch.problems.append(f"CSP: {text}")

    def on_page(page):
        page.on("pageerror", lambda err: watch.problems.append(f"uncaught: {err}"))
        page.on("console", on_console)

    context.on("page", on_page)
    return context


@pytest.fixture
def console(browser, stack):
    """A page of a fresh watched context, for the console on the local stack."""
    context = watched_context(browser)
    try:
        yield context.new_page()
        context.watch.check()
    finally:
        context.close()


AXE = CONSOLE / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def assert_accessible(page, within: str | None = None) -> None:
    """axe-core (console/package.json pins it) finds no WCAG 2.2 A/AA or best-practice
    violation on the page as it is now (or in the element `within` selects, e.g. a dialog).
    Injected through DevTools, so the page's own Content-Security-Policy still stands."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        "([within, tags]) => axe.run(within ? document.querySelector(within) : document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        [within, AXE_RULES])
    found = [f"{v['id']} ({v['impact']}): {v['help']} at "
             + ", ".join(str(n["target"]) for n in v["nodes"][:3])
             for v in result["violations"]]
    assert found == [], "accessibility violations:\n" + "\n".join(found)


def screenshot(page, name: str) -> None:
    """docs/console/<name>.png: the whole page as the admin sees it (the window only while a
    dialog is open, which is what the admin sees then)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialog_open = page.locator("dialog[open]").count() > 0
    page.mouse.move(0, 0)  # no button caught hovered
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=not dialog_open,
                    animations="disabled", caret="hide")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report carries the stack's logs, as the end-to-end tests' do."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and stack is not None:
        for path in stack.log_files():
            try:
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-60:])
            except OSError as err:
                tail = f"({err})"
            report.sections.append((f"local stack: {path.name}, last 60 lines", tail))
    return report
