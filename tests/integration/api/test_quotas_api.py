"""Quotas come from the stage's settings (SMARTALEX_QUOTA_*) and the one too many is a 409
quota_exceeded that says the limit and what to do, with nothing written."""

from __future__ import annotations

import pytest

from .conftest import valid_trunk


@pytest.fixture
def small_quotas(api, monkeypatch):
    from chalicelib import services

    for variable, value in {"SMARTALEX_QUOTA_TRUNKS": "2", "SMARTALEX_QUOTA_AGENTS": "1",
                            "SMARTALEX_QUOTA_DIRECTORY_ENTRIES": "1"}.items():
        monkeypatch.setenv(variable, value)
    services.use_services(None)  # rebuilt from the environment on the next request
    yield
    services.use_services(None)


def test_each_quota_refuses_the_one_too_many_and_writes_nothing(small_quotas, alice, storage):
    first = alice.create(extension="100")
    alice.create(extension="101")
    assert alice.post("/v1/agents", {"name": "Desk", "kind": "receptionist"}).status == 201
    entry = {"extension": "215", "display_name": "Sarah Murphy"}
    assert alice.post(f"/v1/trunks/{first['id']}/directory", entry).status == 201
    before = (storage.all_items(), storage.secret_names())

    replies = {
        "trunks": alice.post("/v1/trunks", valid_trunk(extension="102")),
        "agents": alice.post("/v1/agents", {"name": "Desk 2", "kind": "receptionist"}),
        "entries": alice.post(f"/v1/trunks/{first['id']}/directory",
                              {"extension": "216", "display_name": "Ann Byrne"}),
    }

    for what, reply in replies.items():
        assert reply.status == 409, (what, reply.json)
        assert reply.error["code"] == "quota_exceeded"
        assert "the most it may" in reply.error["message"]
        assert "raise the limit" in reply.error["message"]
    assert replies["trunks"].error["message"].startswith("This account already has 2 trunks")
    assert (storage.all_items(), storage.secret_names()) == before
    assert alice.put(f"/v1/trunks/{first['id']}/directory/215",
                     {"display_name": "Sarah Murphy-Byrne"}).status == 200  # not new: fits
