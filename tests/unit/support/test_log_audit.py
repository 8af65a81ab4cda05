"""The suite's log audit finds what it is there to find (tests/support/log_audit.py).

The leaky logs are written outside pytest's base temp folder: the audit of this very session
searches that folder, and would rightly find them."""

import json
import tempfile
from pathlib import Path

import pytest

from tests.support.log_audit import findings


@pytest.fixture
def tmp_path():
    with tempfile.TemporaryDirectory(prefix="log-audit-") as folder:
        yield Path(folder)


def test_a_stored_secret_or_a_digest_answer_in_any_log_is_found(tmp_path):
    (tmp_path / "edge-a").mkdir()
    (tmp_path / "edge-a" / "edge.log").write_text(
        "registering\nAuthorization: Digest username=\"1000\", response=\"0a1b\"\n")
    (tmp_path / "api.log").write_text('{"message": "stored", "value": "hunter2hunter2"}\n')
    (tmp_path / "clean.log").write_text('response="<redacted>"\nAuthorization: <redacted>\n')
    found = findings(tmp_path, {"hunter2hunter2"})
    assert [f.split(": ")[0] for f in found] == [f"{tmp_path}/api.log:1",
                                                 f"{tmp_path}/edge-a/edge.log:2"]


def test_the_demo_pbxs_generated_passwords_are_searched_for_too(tmp_path):
    state = tmp_path / "stack"
    state.mkdir()
    (state / "demo-pbx-users.json").write_text(json.dumps({"300": "d3m0passw0rd"}))
    (state / "phone.log").write_text("registered with d3m0passw0rd\n")
    assert len(findings(tmp_path, set())) == 1
