"""The local test PBX (devstack.pbx) behaves like a customer PBX toward a pjsua2 phone."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from devstack.pbx import KamailioPBX, PBXError
from tests.integration.conftest import assert_exited_cleanly


def processes_using(path: Path) -> list[int]:
    """PIDs whose command line mentions `path` (our kamailio config)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(path).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def test_start_and_stop_leave_no_process(tmp_path):
    pbx = KamailioPBX(tmp_path, users={"300": "pw"})
    pbx.start()
    pgid = pbx.pid
    assert pbx.running
    assert len(processes_using(pbx.cfg_path)) > 1  # main process plus its children
    assert pbx.contacts("300") == []
    pbx.stop()
    assert not pbx.running
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    assert processes_using(pbx.cfg_path) == []


def test_start_fails_clearly_when_port_is_taken(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        pbx = KamailioPBX(tmp_path, port=busy.getsockname()[1])
        with pytest.raises(PBXError, match="kamailio"):
            pbx.start(timeout=5)
    assert not pbx.running
    assert processes_using(pbx.cfg_path) == []


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_phone_registers_and_contact_appears(pbx, phone_factory, transport):
    phone = phone_factory(pbx, "300", "pw300", transport)
    phone.expect("registered", code=200)
    contacts = pbx.wait_for_contact("300")
    assert len(contacts) == 1
    assert contacts[0].startswith("sip:300@127.0.0.1:")
    assert ("transport=tcp" in contacts[0].lower()) == (transport == "tcp")
    assert_exited_cleanly(phone)  # un-registers on the way out
    assert pbx.wait_for_contact("300", present=False) == []


def test_every_registration_applied_is_listed_with_its_source_and_time(pbx, phone_factory):
    import time

    since, before = pbx.log_path.stat().st_size, time.time()
    phone = phone_factory(pbx, "300", "pw300")
    phone.expect("registered", code=200)
    [contact] = pbx.wait_for_contact("300")
    assert_exited_cleanly(phone)  # un-registers on the way out
    pbx.wait_for_contact("300", present=False)
    registered, removed = pbx.registrations(since)
    assert (registered.user, registered.removes, removed.removes) == ("300", False, True)
    assert registered.source == removed.source and registered.source.startswith("127.0.0.1:")
    assert before <= registered.at <= removed.at <= time.time()
    assert contact in registered.contact


def test_phone_registers_over_tls(tmp_path, phone_factory):
    with KamailioPBX(tmp_path / "pbx", users={"300": "pw300"}, tls=True) as pbx:
        phone = phone_factory(pbx, "300", "pw300", "tls")
        phone.expect("registered", code=200)
        assert "transport=tls" in pbx.wait_for_contact("300")[0].lower()


def test_wrong_password_gets_401_and_no_contact(pbx, phone_factory):
    phone = phone_factory(pbx, "300", "wrong")
    state = phone.expect("reg_state")
    assert state["code"] == 401
    assert state["active"] is False
    assert pbx.contacts("300") == []


def test_unknown_user_gets_404(pbx, phone_factory):
    phone = phone_factory(pbx, "999", "whatever")
    state = phone.expect("reg_state")
    assert (state["code"], state["reason"]) == (404, "Not Found")
    assert pbx.contacts("999") == []


def test_second_registration_replaces_the_first(pbx, phone_factory):
    first = phone_factory(pbx, "300", "pw300", "udp")
    first.expect("registered")
    [first_contact] = pbx.wait_for_contact("300")

    second = phone_factory(pbx, "300", "pw300", "tcp")
    second.expect("registered")
    contacts = pbx.contacts("300")
    assert len(contacts) == 1
    assert contacts != [first_contact]
    assert "transport=tcp" in contacts[0].lower()
    # Like Asterisk, the PBX does not tell the first phone it lost the extension.
    with pytest.raises(TimeoutError):
        first.expect("reg_state", timeout=0.5)


def test_password_change_at_runtime(pbx, phone_factory):
    pbx.set_password("300", "new-pw")
    old = phone_factory(pbx, "300", "pw300")
    assert old.expect("reg_state")["code"] == 401
    new = phone_factory(pbx, "300", "new-pw")
    new.expect("registered", code=200)

    pbx.add_user("400", "pw400")
    phone_factory(pbx, "400", "pw400").expect("registered", code=200)
    assert len(pbx.wait_for_contact("400")) == 1
