"""The admin's path through the console, in headless Chromium, against the real local stack:
connect a carrier with a wrong password and see Failed with what to do, fix the password and see
Registered as ext N, fill in the directory and try phrases, link an agent, bind a DID, and after
a real call from a desk phone, read it in Diagnostics with its friendly outcome. Every screen is
saved to docs/console/ (laptop width, and one at phone width)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, screenshot

pytestmark = pytest.mark.sip

WRONG_PASSWORD = "not-the-extension-password"
AI_EXTENSION = "215"          # the new trunk: SmartAlex registers on the demo PBX as 215
DID_TYPED = "087 123 4567"    # read in the tenant's default country, IE
DID_E164 = "+353871234567"
DID_SHOWN = "+353 87 123 4567"
SLOW = 20_000                 # ms: registration, a call's record through the events queue


def field(page: Page, label: str):
    """The field (label, hint, control, error) whose control `label` names."""
    return page.locator(".field").filter(has=page.get_by_label(label))


def look(page: Page, name: str) -> None:
    """The screen as it is now: accessible (axe-core), and saved to docs/console/<name>.png."""
    assert_accessible(page)
    screenshot(page, name)


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_the_admins_path_from_a_wrong_password_to_a_call_in_diagnostics(console: Page, stack,
                                                                        tmp_path):
    page = console
    page.goto(stack.console_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Phone Numbers")
    assert "token" not in page.url  # the fragment is gone from the address bar
    expect(page.get_by_text("No phone numbers yet.")).to_be_visible()

    # Settings: the default country, so a national-format DID can be typed later.
    nav(page, "Settings")
    page.get_by_label("Default country").select_option("IE")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    look(page, "settings")

    # Phone Numbers → Connect Your Carrier → SIP Trunk. First a SIP domain with "sip:": the
    # API's 400 names `domain`, and its message shows beside the SIP domain field.
    nav(page, "Phone Numbers")
    page.get_by_role("link", name="Connect Your Carrier").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect Your Carrier")
    expect(page.get_by_label("Add SmartAlex as a phone on your PBX")).to_be_checked()
    page.get_by_label("PBX type").select_option("asterisk")
    # The PBX type's preset (GET /v1/pbx-types): where it keeps the credentials, its defaults.
    expect(page.get_by_test_id("pbx-guide")).to_contain_text("in pjsip.conf")
    expect(page.get_by_label("Transport")).to_have_value("")  # the type's default
    page.get_by_label(re.compile("^Name")).fill("Front office")
    page.get_by_label("SIP domain").fill("sip:127.0.0.1")
    page.get_by_role("textbox", name="Extension").fill(AI_EXTENSION)
    page.get_by_label("Password").fill(WRONG_PASSWORD)
    page.get_by_label(re.compile("^Port")).fill(str(stack.pbx_port))
    body = {"pbx_type": "asterisk", "label": "Front office", "domain": "sip:127.0.0.1",
            "extension": AI_EXTENSION, "password": WRONG_PASSWORD, "port": stack.pbx_port}
    refused = stack.api.post(f"{stack.api_url}/v1/trunks", json=body)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "domain"
    page.get_by_role("button", name="Connect").click()
    domain = field(page, "SIP domain")
    expect(domain.locator(".field-error")).to_have_text(refused.json()["error"]["message"])
    expect(page.get_by_label("SIP domain")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_have_count(1)  # that field only
    look(page, "connect-your-carrier")

    # The corrected domain, still the wrong password: Failed, with the PBX's reason and what to do.
    page.get_by_label("SIP domain").fill("127.0.0.1")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Front office (ext {AI_EXTENSION} on 127.0.0.1)")
    trunk_id = page.url.rsplit("/", 1)[1]
    status = page.get_by_test_id(f"trunk-status-{trunk_id}")
    expect(status.get_by_test_id("registration-label")).to_have_text("Failed", timeout=SLOW)
    expect(status.get_by_test_id("registration-error")).to_contain_text(
        "Authentication required — wrong username or password")
    expect(status).to_contain_text("enter them under Credentials")
    # The password is write-only: the form never holds it, the page never shows it.
    expect(page.get_by_label("Password")).to_have_value("")
    assert WRONG_PASSWORD not in page.content()
    look(page, "trunk-failed")

    # Fix the password: the trunk registers again by itself, and the status follows.
    page.get_by_label("Password").fill(stack.users[AI_EXTENSION])
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(status.get_by_test_id("registration-label")).to_have_text(
        f"Registered as ext {AI_EXTENSION}", timeout=SLOW)
    expect(page.get_by_label("Password")).to_have_value("")
    assert stack.users[AI_EXTENSION] not in page.content()
    # Re-register: Connecting, then Registered again without a reload.
    status.get_by_role("button", name="Re-register").click()
    expect(status.get_by_test_id("registration-label")).to_have_text("Connecting")
    expect(status.get_by_test_id("registration-label")).to_have_text(
        f"Registered as ext {AI_EXTENSION}", timeout=SLOW)
    # Where it registers (the port as typed), and what the PBX's firewall must let through:
    # the edges' addresses (loopback on one machine) and our RTP ports.
    expect(page.get_by_test_id("trunk-where")).to_contain_text(
        f"127.0.0.1 · UDP port {stack.pbx_port} (as entered)")
    allow = page.get_by_test_id("edge-addresses")
    expect(allow.get_by_role("heading")).to_have_text("Allow SmartAlex on the PBX's firewall")
    expect(allow).to_contain_text("from this address: 127.0.0.1.")
    expect(allow).to_contain_text(f"to the PBX's SIP port (UDP {stack.pbx_port})")
    expect(allow).to_contain_text("between our ports 10000–19999")
    look(page, "trunk-registered")

    # Settings → PBX Settings lists both trunks with their status.
    nav(page, "PBX Settings")
    expect(page.get_by_test_id("trunk-card")).to_have_count(2)
    expect(page.get_by_test_id("registration-label")).to_have_text(
        ["Registered as ext 1000", f"Registered as ext {AI_EXTENSION}"])
    look(page, "pbx-settings")

    # The directory: two entries, one edited, then phrases tried against it.
    page.get_by_test_id("trunk-card").nth(1).get_by_role("link", name="Directory").click()
    expect(page.get_by_role("tab", name="Directory")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("The directory is empty.")).to_be_visible()
    add = page.get_by_role("form", name="Add an entry")
    for extension, name, aliases in (("100", "Reception", "front desk, operator"),
                                     ("300", "Sarah Murphy", "sales"),
                                     ("301", "Sara Murphy", "support")):
        add.get_by_label("Extension").fill(extension)
        add.get_by_label("Display name").fill(name)
        add.get_by_label("Aliases").fill(aliases)
        add.get_by_role("button", name="Add entry").click()
        expect(page.get_by_role("status").filter(has_text=f"Added {extension}")).to_be_visible()
    page.get_by_role("button", name="Edit 300").click()
    edit = page.get_by_role("dialog", name="Edit 300")
    expect(edit.get_by_label("Display name")).to_be_focused()  # focus moves into the dialog
    edit.get_by_label("Aliases").fill("sales, new orders")
    edit.get_by_role("button", name="Save entry").click()
    expect(edit).to_be_hidden()
    expect(page.get_by_role("button", name="Edit 300")).to_be_focused()  # and back
    rows = page.get_by_test_id("directory-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("sales, new orders")
    page.get_by_role("button", name="Delete 301").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete entry").click()
    expect(page.get_by_role("status").filter(has_text="Removed 301")).to_be_visible()
    expect(rows).to_have_count(2)
    add.get_by_label("Extension").fill("301")
    add.get_by_label("Display name").fill("Sara Murphy")
    add.get_by_role("button", name="Add entry").click()
    expect(rows).to_have_count(3)

    tryit = page.get_by_role("form", name="Try a phrase")
    result = page.get_by_test_id("resolution")
    for phrase, verdict in (("put me through to new orders please", "Match: 300 (Sarah Murphy)"),
                            ("can I talk to Murphy", "Ambiguous: 300 (Sarah Murphy) or 301 (Sara Murphy)"),
                            ("what is the weather in Paris", "No match"),
                            ("the front desk", "Match: 100 (Reception)")):
        tryit.get_by_label("What the caller says").fill(phrase)
        tryit.get_by_role("button", name="Try it").click()
        expect(result.locator(".verdict-title")).to_have_text(verdict)
    look(page, "directory")

    # Agents: a receptionist of its own, linked to the new trunk on its Telephony tab.
    nav(page, "Agents")
    page.get_by_role("button", name="New agent").click()
    dialog = page.get_by_role("dialog", name="New agent")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    dialog.get_by_label("Name", exact=True).fill("Front office receptionist")
    dialog.get_by_label("Receptionist (built in)").check()
    dialog.get_by_role("button", name="Create agent").click()
    expect(page.get_by_role("status").filter(has_text="Created Front office receptionist.")) \
        .to_be_visible()
    expect(page.get_by_test_id("agent-row")).to_have_count(2)
    look(page, "agents")
    page.get_by_role("link", name="link it to a trunk").click()
    expect(page.get_by_role("tab", name="Telephony")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Trunk").select_option(trunk_id)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Takes effect on the next call")) \
        .to_be_visible()
    look(page, "agent-telephony")

    # Phone Numbers → Connect PBX Extension: the DID, typed in national format.
    nav(page, "Phone Numbers")
    page.get_by_role("button", name="Connect PBX Extension").click()
    bind = page.get_by_role("dialog", name="Connect PBX Extension")
    bind.get_by_label("Trunk").select_option(trunk_id)
    expect(bind.get_by_role("textbox", name="Extension")).to_have_value(AI_EXTENSION)
    expect(bind.get_by_label("Agent")).to_have_value(
        re.compile(r"^agt_"))  # the trunk's own agent is chosen
    expect(bind.get_by_label("Agent").locator("option:checked")).to_have_text(
        "Front office receptionist")
    bind.get_by_label("Public number (DID)").fill(DID_TYPED)
    bind.get_by_label("Friendly label").fill("Main line")
    look(page, "connect-pbx-extension")
    bind.get_by_role("button", name="Connect number").click()
    expect(bind).to_be_hidden()
    row = page.get_by_test_id("number-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(DID_SHOWN)
    expect(row).to_contain_text("Front office receptionist")

    # A real call: desk phone 300 dials the AI at 215; the PBX says which public number was
    # dialled (Diversion), as a PBX's inbound route for the DID does.
    from tests.integration.conftest import PhoneProcess

    phone = PhoneProcess(["--register", f"127.0.0.1:{stack.pbx_port}", "--user", "300",
                          f"--password={stack.users['300']}"], tmp_path / "300.log")
    try:
        phone.wait_for("registered", 10)
        phone.send("call", uri=f"sip:{AI_EXTENSION}@127.0.0.1:{stack.pbx_port}",
                   headers={"Diversion": f"<sip:{DID_E164}@127.0.0.1>;reason=unconditional"})
        phone.wait_for("answered", 15)
        deadline = time.monotonic() + 20
        while phone.ask("levels", "levels")["rx_speech_frames"] < 10:  # the greeting
            assert time.monotonic() < deadline, "no greeting from the receptionist"
            time.sleep(0.1)
        phone.send("hangup")
        phone.wait_for("disconnected", 10)
    finally:
        phone.stop()

    # Diagnostics on the number: live health, the call with its friendly outcome.
    row.get_by_role("button", name=f"Diagnostics for {DID_SHOWN}").click()
    diagnostics = page.get_by_role("dialog", name=re.compile("^Diagnostics"))
    expect(diagnostics.get_by_test_id("health-registration")).to_contain_text(
        f"Registered as ext {AI_EXTENSION}")
    expect(diagnostics.get_by_test_id("health-credentials")).to_contain_text("Yes")
    expect(diagnostics.get_by_test_id("health-assignment")).to_contain_text("Handled by")
    # The call's record travels through the edge-events queue; the dialog looks again by
    # itself while it is open.
    calls = diagnostics.get_by_test_id("call-row")
    expect(calls).to_have_count(1, timeout=SLOW)
    expect(calls.first).to_contain_text("Caller hung up")  # the caller ended it
    expect(calls.first).to_contain_text("300")
    # The wrong password earlier is among the trunk's errors, with its hint.
    expect(diagnostics.get_by_test_id("error-row").first).to_contain_text("Authentication required")
    look(page, "diagnostics")
    page.keyboard.press("Escape")
    expect(diagnostics).to_be_hidden()
    expect(row.get_by_role("button", name=f"Diagnostics for {DID_SHOWN}")).to_be_focused()
    look(page, "phone-numbers")


def test_refused_deletes_are_explained_and_the_console_works_at_phone_width(console: Page, stack):
    """Deleting the demo trunk while a number is bound to it is a 409: the console says which
    numbers and what to do. At 390 px the screens are one column."""
    page = console
    api, url = stack.api, stack.api_url
    demo = next(t for t in api.get(f"{url}/v1/trunks").json()["trunks"] if t["extension"] == "1000")
    agent = next(a for a in api.get(f"{url}/v1/agents").json()["agents"]
                 if a["trunk_id"] == demo["id"])
    bound = api.post(f"{url}/v1/phone-numbers/pbx-extension",
                     json={"trunk_id": demo["id"], "extension": "1000", "agent_id": agent["id"],
                           "did": "+353 1 555 0123", "label": "Demo line"})
    assert bound.status_code == 201, bound.text
    shown = bound.json()["display"]

    page.goto(stack.console_url)
    nav(page, "PBX Settings")
    page.get_by_role("link", name=re.compile(r"^Demo AI extension")).click()

    # By keyboard: the arrow keys move between tabs, and focus is visible where it is.
    status_tab = page.get_by_role("tab", name="Status and credentials")
    status_tab.focus()
    page.keyboard.press("ArrowRight")
    directory_tab = page.get_by_role("tab", name="Directory")
    expect(directory_tab).to_be_focused()
    expect(directory_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_contain_text("Try a phrase")
    page.keyboard.press("ArrowLeft")
    expect(status_tab).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_css("outline-style", "solid")

    # The trunk's own Diagnostics: every call it received (none here), its live health.
    page.get_by_role("button", name="Diagnostics").click()
    trunk_diagnostics = page.get_by_role("dialog", name=re.compile("^Diagnostics"))
    expect(trunk_diagnostics.get_by_test_id("health-registration")).to_contain_text(
        "Registered as ext 1000")
    expect(trunk_diagnostics.get_by_text("No calls in the last 24 hours.")).to_be_visible()
    trunk_diagnostics.get_by_role("button", name="Close").click()

    # A trunk created without a port: the edge finds the port by DNS (SRV records), and the
    # status screen says so, where the demo trunk's says the port was typed in.
    expect(page.get_by_test_id("trunk-where")).to_contain_text("(as entered)")
    srv = api.post(f"{url}/v1/trunks", json={"pbx_type": "other", "domain": "sip.pbx.test",
                                              "extension": "2999", "password": "pw-2999"})
    assert srv.status_code == 201, srv.text
    page.evaluate("hash => { location.hash = hash }", f"#/trunks/{srv.json()['id']}")
    expect(page.get_by_test_id("trunk-where")).to_contain_text(
        "sip.pbx.test · UDP, port found by DNS: the SRV records _sip._udp.sip.pbx.test, else 5060")
    expect(page.get_by_test_id("edge-addresses")).to_contain_text(
        "to the PBX's SIP port (UDP, the one its SRV records name)")
    expect(page.get_by_label(re.compile("^Port"))).to_have_value("")  # none was typed
    look(page, "trunk-srv")
    assert api.delete(f"{url}/v1/trunks/{srv.json()['id']}").status_code == 204
    page.evaluate("hash => { location.hash = hash }", f"#/trunks/{demo['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demo AI extension")

    page.get_by_role("button", name="Delete trunk").click()
    confirm = page.get_by_role("dialog", name=re.compile("^Delete trunk"))
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    confirm.get_by_role("button", name="Delete trunk").click()
    refusal = confirm.get_by_test_id("delete-refusal")
    expect(refusal).to_contain_text(f"phone numbers are still bound to it ({shown})")
    expect(refusal).to_contain_text("Unbind them under Phone Numbers first")
    look(page, "delete-refused")
    confirm.get_by_role("button", name="Back").click()

    # The same for the agent that answers the number; the dialogs open and close by keyboard.
    nav(page, "Agents")
    page.get_by_role("button", name="New agent").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="New agent").get_by_label("Name", exact=True)) \
        .to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="New agent")).to_be_hidden()
    expect(page.get_by_role("button", name="New agent")).to_be_focused()

    # An agent of one's own over a WebSocket: a wrong URL's 400 beside Stream URL; its signing
    # secret shown once, and replaced on its General tab.
    page.get_by_role("button", name="New agent").click()
    dialog = page.get_by_role("dialog", name="New agent")
    dialog.get_by_label("Name", exact=True).fill("Sales bot")
    dialog.get_by_label("Your own agent (WebSocket media stream)").check()
    dialog.get_by_label("Stream URL").fill("https://127.0.0.1:9/agent")
    dialog.get_by_role("button", name="Create agent").click()
    stream_url = dialog.locator(".field").filter(has=page.get_by_label("Stream URL"))
    expect(stream_url.locator(".field-error")).to_contain_text("stream_url")
    dialog.get_by_label("Stream URL").fill("ws://127.0.0.1:9/agent")
    dialog.get_by_role("button", name="Create agent").click()
    first_secret = page.get_by_test_id("signing-secret").inner_text()
    assert len(first_secret) >= 32
    page.get_by_role("link", name="Sales bot").click()
    page.get_by_role("button", name="Replace signing secret…").click()
    page.get_by_role("button", name="Replace the secret").click()
    expect(page.get_by_test_id("signing-secret")).not_to_have_text(first_secret)
    nav(page, "Agents")
    page.get_by_role("button", name="Delete Sales bot").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete agent").click()
    expect(page.get_by_role("status").filter(has_text="Deleted Sales bot.")).to_be_visible()
    page.get_by_role("button", name=f"Delete {agent['name']}").click()
    confirm = page.get_by_role("dialog", name=re.compile("^Delete agent"))
    confirm.get_by_role("button", name="Delete agent").click()
    expect(confirm.get_by_test_id("delete-refusal")).to_contain_text(
        f"phone numbers are still bound to it ({shown})")
    confirm.get_by_role("button", name="Back").click()

    # Unbinding the number is allowed.
    nav(page, "Phone Numbers")
    page.get_by_role("button", name=f"Delete {shown}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete phone number").click()
    expect(page.get_by_role("status").filter(has_text=f"Deleted {shown}")).to_be_visible()
    expect(page.get_by_test_id("number-row").filter(has_text=shown)).to_have_count(0)

    page.set_viewport_size(PHONE)
    nav(page, "PBX Settings")
    expect(page.get_by_test_id("trunk-card").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at phone width ({width}px)"
    look(page, "pbx-settings-phone")
    nav(page, "Phone Numbers")
    expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    look(page, "phone-numbers-phone")
    for screen, heading in ((f"#/trunks/{demo['id']}", "Demo AI extension"),
                            (f"#/trunks/{demo['id']}/directory", "Demo AI extension"),
                            ("#/numbers/connect-carrier", "Connect Your Carrier"),
                            ("#/agents", "Agents"), (f"#/agents/{agent['id']}/telephony", agent["name"]),
                            ("#/settings", "Settings")):
        page.evaluate("hash => { location.hash = hash }", screen)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{screen} scrolls sideways at phone width ({width}px)"


def test_without_a_token_the_console_says_where_to_get_one(console: Page, stack):
    page = console
    page.goto(stack.console_url.split("#", 1)[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the console from make run")
    expect(page.get_by_text("CONSOLE_URL", exact=True)).to_be_visible()
