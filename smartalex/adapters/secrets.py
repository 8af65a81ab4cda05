"""SIP passwords in AWS Secrets Manager, one secret per trunk (`<prefix>/<trunk_id>`).

DynamoDB never holds a password. The API's role may create/update/delete these secrets and the
edge's role may read them (infra/cdk). Errors are re-raised without the secret value.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..domain.errors import NotFound
from ..service_layer.ports import SecretStore
from . import aws, names


class SecretsManagerStore(SecretStore):
    def __init__(self, client: Any = None, prefix: str | None = None, kms_key_id: str | None = None):
        self._client = client or aws.client("secretsmanager")
        self._prefix = prefix or names.secret_prefix()
        self._kms_key_id = kms_key_id or names.secrets_kms_key()

    def _name(self, trunk_id: str) -> str:
        return f"{self._prefix}/{trunk_id}"

    def put(self, trunk_id: str, password: str) -> None:
        value = json.dumps({"password": password})
        try:
            self._client.put_secret_value(SecretId=self._name(trunk_id), SecretString=value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            extra = {"KmsKeyId": self._kms_key_id} if self._kms_key_id else {}
            self._client.create_secret(
                Name=self._name(trunk_id), SecretString=value,
                Description="SIP password of a SmartAlex trunk", **extra,
            )

    def get(self, trunk_id: str) -> str:
        try:
            value = self._client.get_secret_value(SecretId=self._name(trunk_id))["SecretString"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidRequestException"):
                raise NotFound(f"No SIP password stored for trunk {trunk_id}.") from None
            raise
        return json.loads(value)["password"]

    def delete(self, trunk_id: str) -> None:
        try:
            self._client.delete_secret(SecretId=self._name(trunk_id),
                                       ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
