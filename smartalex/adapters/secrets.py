"""Secrets in AWS Secrets Manager, one per trunk and one per agent, all under the stage's prefix
`<SMARTALEX_SECRET_PREFIX>/<id>`: a trunk's SIP password (`<prefix>/trk_…`) and an agent's
handshake signing secret (`<prefix>/agt_…`; the prefix keeps its historical name,
`smartalex/<stage>/trunks`). Ids never collide (`trk_` vs `agt_`), and one prefix means one
grant: the API's role may create/update/read/delete these secrets and the edge's role may only
read them (infra/cdk/stacks/secrets.py).

DynamoDB never holds a secret. Errors are re-raised without the secret value (boto3's errors
carry the request's parameters, never the SecretString).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import NotFound
from ..service_layer.ports import AgentSecretStore, SecretStore
from . import aws, names


class _SecretsManager:
    """One JSON field per secret, `{"<field>": value}`, named `<prefix>/<owner id>`."""

    field = ""
    description = ""
    missing = ""  # NotFound's message, with {owner}

    def __init__(self, client: Any = None, prefix: str | None = None,
                 kms_key_id: str | None = None):
        self._client = client or aws.client("secretsmanager")
        self._prefix = prefix or names.secret_prefix()
        self._kms_key_id = kms_key_id or names.secrets_kms_key()

    def _name(self, owner_id: str) -> str:
        return f"{self._prefix}/{owner_id}"

    def _put(self, owner_id: str, secret: str) -> None:
        value = json.dumps({self.field: secret})
        try:
            self._client.put_secret_value(SecretId=self._name(owner_id), SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            extra = {"KmsKeyId": self._kms_key_id} if self._kms_key_id else {}
            self._client.create_secret(Name=self._name(owner_id), SecretString=value,
                                       Description=self.description, **extra)

    def _get(self, owner_id: str) -> str:
        try:
            value = self._client.get_secret_value(SecretId=self._name(owner_id))["SecretString"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ResourceNotFoundException",
                                                 "InvalidRequestException"):
                raise NotFound(self.missing.format(owner=owner_id)) from None
            raise
        return json.loads(value)[self.field]

    def _delete(self, owner_id: str) -> None:
        try:
            self._client.delete_secret(SecretId=self._name(owner_id),
                                       ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


class SecretsManagerStore(_SecretsManager, SecretStore):
    """Trunks' SIP passwords."""

    field = "password"
    description = "SIP password of a SmartAlex trunk"
    missing = "No SIP password stored for trunk {owner}."

    def put(self, trunk_id: str, password: str) -> None:
        self._put(trunk_id, password)

    def get(self, trunk_id: str) -> str:
        return self._get(trunk_id)

    def delete(self, trunk_id: str) -> None:
        self._delete(trunk_id)


class SecretsManagerAgentSecrets(_SecretsManager, AgentSecretStore):
    """Agents' handshake signing secrets; the edge reads one with `get(agent_id)` before it
    opens the agent's WebSocket (domain/agent_signature.headers)."""

    field = "signing_secret"
    description = "Handshake signing secret of a SmartAlex agent"
    missing = "No signing secret stored for agent {owner}."

    def put(self, agent_id: str, secret: str) -> None:
        self._put(agent_id, secret)

    def get(self, agent_id: str) -> str:
        return self._get(agent_id)

    def delete(self, agent_id: str) -> None:
        self._delete(agent_id)
