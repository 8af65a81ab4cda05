"""A SIP password goes to Secrets Manager and nowhere else: not into responses, logs or
DynamoDB, on success, on validation errors, on conflicts or on unexpected failures."""

from __future__ import annotations

import json
import logging

import pytest

from smartalex.bootstrap import Services

from .conftest import valid_trunk

PASSWORDS = {
    "created": "Quokka-7731-Zebra-created",
    "patched": "Narwhal-0042-Okapi-patched",
    "invalid": "Axolotl-5512-Ibis-invalid",
    "conflict": "Pangolin-9090-Tapir-conflict",
    "crashed": "Wombat-3141-Lemur-crashed",
}


class FailingTrunks:
    """The real repository, except that adding a trunk blows up like a lost connection."""

    def __init__(self, real):
        self._real = real

    def add(self, trunk):
        raise RuntimeError("connection reset while writing the trunk")

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.fixture
def debug_logging(caplog):
    """Every API logger at DEBUG, so that a leak at any level would be caught."""
    names = ["control"] + [n for n in logging.root.manager.loggerDict if n.startswith("control.")]
    levels = {name: logging.getLogger(name).level for name in names}
    caplog.set_level(logging.INFO)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_passwords_appear_in_no_response_log_line_or_table_item(
        api, alice, storage, log_output, debug_logging, caplog, capsys):
    from chalicelib import services

    created = alice.post("/v1/trunks", valid_trunk(password=PASSWORDS["created"]))
    trunk_id = created.json["id"]
    patched = alice.patch(f"/v1/trunks/{trunk_id}",
                          {"password": PASSWORDS["patched"], "domain": "pbx2.example.com"})
    invalid = alice.post("/v1/trunks", valid_trunk(password=PASSWORDS["invalid"],
                                                   domain="sip://pbx.example.com"))
    conflict = alice.post("/v1/trunks", valid_trunk(password=PASSWORDS["conflict"],
                                                    domain="pbx2.example.com"))
    real = services.services()
    services.use_services(Services(trunks=FailingTrunks(real.trunks), secrets=real.secrets))
    crashed = alice.post("/v1/trunks", valid_trunk(password=PASSWORDS["crashed"], extension="1001"))
    services.use_services(real)
    listed, got = alice.get("/v1/trunks"), alice.get(f"/v1/trunks/{trunk_id}")

    assert [r.status for r in (created, patched, invalid, conflict, crashed, listed, got)] == \
        [201, 200, 400, 409, 500, 200, 200]
    assert crashed.error["code"] == "internal"

    # The search is meaningful: every request was logged, with its correlation id, and the
    # crash was logged with its traceback.
    lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
    handled = [line for line in lines if line["message"] == "Request handled"]
    assert len(handled) == 7
    assert all(line.get("correlation_id") for line in handled)
    assert len({line["correlation_id"] for line in handled}) == 7
    crash = [line for line in lines if line["message"] == "Unexpected error"]
    assert len(crash) == 1 and "connection reset" in crash[0]["exception"]
    assert any(line["message"] == "Trunk updated" and "password" in line["fields"]
               for line in lines)
    assert caplog.records

    haystacks = {
        "responses": [reply.body.decode() for reply in api.replies],
        "powertools JSON log": [log_output.getvalue()],
        "captured log records": [caplog.text] + [repr(vars(r)) for r in caplog.records],
        "captured stdout/stderr": list(capsys.readouterr()),
        "DynamoDB items": [json.dumps(storage.all_items())],
    }
    for where, texts in haystacks.items():
        for name, password in PASSWORDS.items():
            assert not any(password in text for text in texts), f"{name} password found in {where}"

    # ...and not because it was lost: the current password is in Secrets Manager.
    assert storage.password(trunk_id) == PASSWORDS["patched"]


def test_a_failed_create_leaves_no_secret_behind(api, alice, storage):
    from chalicelib import services

    before = storage.secret_names()
    real = services.services()
    services.use_services(Services(trunks=FailingTrunks(real.trunks), secrets=real.secrets))

    reply = alice.post("/v1/trunks", valid_trunk())

    assert reply.status == 500
    assert reply.error["message"].startswith("Something went wrong on our side")
    assert storage.secret_names() == before
