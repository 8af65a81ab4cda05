"""An agent's handshake signing secret: made at create and shown in that answer only, kept in
Secrets Manager and nowhere else (not DynamoDB, not a log line, not GET or the list), rotated
with its own route (shown once again), deleted with the agent, and readable by the edge's
adapter, whose signature an agent verifies."""

from __future__ import annotations

import json

import pytest

from smartalex.bootstrap import Services
from smartalex.domain import agent_signature

AGENT = {"name": "Sales bot", "kind": "media_stream",
         "stream_url": "wss://agent.example.com/stream"}


class FailingAgents:
    """The real repository, except that adding an agent blows up like a lost connection."""

    def __init__(self, real):
        self._real = real

    def add(self, agent):
        raise RuntimeError("connection reset while writing the agent")

    def __getattr__(self, name):
        return getattr(self._real, name)


def stored_secret(storage, agent_id: str) -> str:
    value = storage.secretsmanager.get_secret_value(SecretId=f"{storage.secret_prefix}/{agent_id}")
    return json.loads(value["SecretString"])["signing_secret"]


def test_the_secret_is_shown_once_and_kept_only_in_secrets_manager(alice, storage, log_output):
    created = alice.post("/v1/agents", AGENT)
    assert created.status == 201, created.json
    agent_id, secret = created.json["id"], created.json["signing_secret"]

    got, listed = alice.get(f"/v1/agents/{agent_id}"), alice.get("/v1/agents")

    assert secret.startswith("sig_") and len(secret) == 47
    assert "signing_secret" not in got.json
    assert all("signing_secret" not in a for a in listed.json["agents"])
    assert stored_secret(storage, agent_id) == secret
    assert secret not in json.dumps(storage.all_items())
    assert secret not in log_output.getvalue()
    assert secret not in got.body.decode() + listed.body.decode()


def test_every_agent_gets_its_own_secret(alice):
    first = alice.post("/v1/agents", AGENT).json
    second = alice.post("/v1/agents", {"name": "Desk", "kind": "receptionist"}).json

    assert first["signing_secret"] != second["signing_secret"]


def test_rotating_replaces_the_secret_and_shows_the_new_one_once(alice, storage, log_output):
    agent = alice.post("/v1/agents", AGENT).json
    path = f"/v1/agents/{agent['id']}/signing-secret"

    rotated = alice.post(path)
    again = alice.post(path, {})

    assert rotated.status == 200 and again.status == 200, rotated.json
    assert set(rotated.json) == {"agent_id", "signing_secret"}
    assert rotated.json["agent_id"] == agent["id"]
    new = again.json["signing_secret"]
    assert len({agent["signing_secret"], rotated.json["signing_secret"], new}) == 3
    assert stored_secret(storage, agent["id"]) == new
    assert new not in log_output.getvalue() and new not in json.dumps(storage.all_items())
    assert "signing_secret" not in alice.get(f"/v1/agents/{agent['id']}").json


def test_rotating_someone_elses_or_no_agent_is_404_and_a_body_field_is_400(alice, bob, storage):
    agent = alice.post("/v1/agents", AGENT).json
    before = stored_secret(storage, agent["id"])

    assert bob.post(f"/v1/agents/{agent['id']}/signing-secret").status == 404
    assert alice.post("/v1/agents/agt_00000000000000000000/signing-secret").status == 404
    refused = alice.post(f"/v1/agents/{agent['id']}/signing-secret", {"signing_secret": "mine"})
    assert refused.status == 400 and refused.error["field"] == "signing_secret"
    assert stored_secret(storage, agent["id"]) == before


def test_deleting_the_agent_deletes_its_secret(alice, storage):
    agent = alice.post("/v1/agents", AGENT).json
    name = f"{storage.secret_prefix}/{agent['id']}"
    assert name in storage.secret_names()

    assert alice.delete(f"/v1/agents/{agent['id']}").status == 204

    assert name not in storage.secret_names()


def test_a_failed_create_leaves_no_secret_behind(api, alice, storage):
    from chalicelib import services

    before = storage.secret_names()
    real = services.services()
    services.use_services(Services(agents=FailingAgents(real.agents),
                                   agent_secrets=real.agent_secrets))
    try:
        reply = alice.post("/v1/agents", AGENT)
    finally:
        services.use_services(real)

    assert reply.status == 500
    assert "signing_secret" not in reply.body.decode()
    assert storage.secret_names() == before


def test_the_edge_reads_the_secret_and_an_agent_verifies_its_signature(alice):
    from smartalex.adapters.secrets import SecretsManagerAgentSecrets

    agent = alice.post("/v1/agents", AGENT).json
    secret = SecretsManagerAgentSecrets().get(agent["id"])  # what the edge does per call
    sent = agent_signature.headers(secret, agent["stream_url"], now=1_767_225_600)

    assert agent_signature.verify(agent["signing_secret"], agent["stream_url"],
                                  sent["X-SmartAlex-Timestamp"], sent["X-SmartAlex-Signature"],
                                  now=1_767_225_630)


def test_an_agent_without_a_secret_reads_as_not_found(aws_endpoint):
    from smartalex.adapters.secrets import SecretsManagerAgentSecrets
    from smartalex.domain.errors import NotFound

    with pytest.raises(NotFound, match="No signing secret stored for agent agt_0"):
        SecretsManagerAgentSecrets().get("agt_00000000000000000000")
