"""IAM authorization in the local moto server, as AWS decides it for the calls our runtimes make.

moto's IAM access control (moto/core/authorization.py; on once moto has let
INITIAL_NO_AUTH_ACTION_COUNT requests through) verifies each request's SigV4 signature and looks
the access key's user up, then asks the user's policies about the request. What it asks is too
coarse for the policies the CDK app writes, in three ways:

- the resource: moto names one only for SQS, IAM and STS; every other service is asked about
  Resource "*", which no resource-scoped statement matches. Every DynamoDB, Secrets Manager and
  KMS grant of ours names its ARNs, so moto would refuse all of them.
- the action: moto asks about the API operation, IAM about the action the operation is authorized
  as: dynamodb:TransactWriteItems is PutItem/UpdateItem/DeleteItem/ConditionCheckItem per item,
  sqs:SendMessageBatch is sqs:SendMessage, moto's monitoring:PutMetricData is
  cloudwatch:PutMetricData.
- what a service does on the caller's behalf: Secrets Manager encrypts and decrypts a secret with
  the caller's own KMS permissions (kms:GenerateDataKey / kms:Decrypt on the secret's key, with
  kms:ViaService = secretsmanager.<region>.amazonaws.com). moto never asks.

`install()` replaces the question for DynamoDB, SQS, Secrets Manager and CloudWatch: each request
needs the list of (action, resource, condition keys) that `needs()` derives from it, after the
Service Authorization Reference, and each one must be allowed (an explicit Deny wins). moto still
checks the signature and the key, and still evaluates the policies (moto.iam.access_control.
IAMPolicy). Limits of that evaluation: conditions are StringEquals only, on the keys we supply
(cloudwatch:namespace, kms:ViaService); other operators and absent keys do not restrict.
Every other service (IAM, STS, KMS called directly, CloudWatch Logs, X-Ray...) keeps moto's own
check, resource "*". Nothing of ours calls those locally: Lambda and ECS write the logs and the
traces with the role in AWS, and locally nobody does, so logs:* and xray:* grants are not
exercised here.

This changes moto's classes, so it runs only in the endpoint's own process
(devstack/moto_server.py), never in a test process where unit tests use moto's `mock_aws`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping

logger = logging.getLogger("devstack.iam")


@dataclass(frozen=True)
class Need:
    """One thing a request must be allowed: `action` on `resource`, given `context` keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """What `needs()` reads of a request: its operation, parameters, region and account."""

    service: str  # the boto3 service name: dynamodb, sqs, secretsmanager, cloudwatch
    operation: str  # e.g. BatchGetItem
    params: Mapping[str, Any]
    region: str
    account: str
    # The KMS key of an existing secret, by name or ARN (Secrets Manager only).
    secret_key: Callable[[str], tuple[str, str | None] | None] = lambda _id: None

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


# --- DynamoDB ----------------------------------------------------------------------------

# TransactWriteItems / TransactGetItems are authorized item by item as these actions.
_TRANSACT_ITEM_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                          "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def _dynamodb(request: Request) -> list[Need]:
    def table(name: str, index: str | None = None) -> str:
        arn = name if name.startswith("arn:") else request.arn("dynamodb", f"table/{name}")
        return f"{arn}/index/{index}" if index else arn

    op, p = request.operation, request.params
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Need(f"dynamodb:{op}", table(name)) for name in p.get("RequestItems", {})]
    if op in ("TransactWriteItems", "TransactGetItems"):
        return [Need(f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", table(body["TableName"]))
                for item in p.get("TransactItems", []) for kind, body in item.items()]
    if "TableName" in p:  # Query and Scan on an index are authorized on the index's ARN
        index = p.get("IndexName") if op in ("Query", "Scan") else None
        return [Need(f"dynamodb:{op}", table(p["TableName"], index))]
    return [Need(f"dynamodb:{op}", "*")]  # ListTables, DescribeLimits, ...


# --- SQS ---------------------------------------------------------------------------------

_SQS_BATCH_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                      "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}


def _sqs(request: Request) -> list[Need]:
    action = f"sqs:{_SQS_BATCH_ACTIONS.get(request.operation, request.operation)}"
    p, account = request.params, request.account
    name = p.get("QueueName")
    if not name and p.get("QueueUrl"):
        # https://host/<account>/<name>
        *_, owner, name = p["QueueUrl"].rstrip("/").split("/")
        account = owner if owner.isdigit() else account
    if not name:
        return [Need(action, "*")]  # ListQueues
    return [Need(action, f"arn:aws:sqs:{request.region}:{account}:{name}")]


# --- Secrets Manager ---------------------------------------------------------------------

# Secrets Manager calls KMS with the caller's permissions when the secret has a customer
# managed key: GenerateDataKey to encrypt a new value, Decrypt to read one.
_SECRET_KEY_ACTIONS = {"CreateSecret": "kms:GenerateDataKey", "PutSecretValue": "kms:GenerateDataKey",
                       "UpdateSecret": "kms:GenerateDataKey", "GetSecretValue": "kms:Decrypt"}


def _secretsmanager(request: Request) -> list[Need]:
    op, p = request.operation, request.params
    action = f"secretsmanager:{op}"
    secret_id = p.get("SecretId") or p.get("Name")
    if not secret_id:
        return [Need(action, "*")]  # ListSecrets, GetRandomPassword
    existing = request.secret_key(secret_id)
    if existing:
        arn, key = existing
    else:
        # Not created yet (or gone): AWS authorizes the ARN the name would have, whose random
        # suffix is unknown; our policies grant `<prefix>/*`, which it matches either way.
        arn = secret_id if secret_id.startswith("arn:") else request.arn(
            "secretsmanager", f"secret:{secret_id}")
        key = None
    key = p.get("KmsKeyId") or key  # CreateSecret and UpdateSecret may name one
    needs = [Need(action, arn)]
    kms_action = _SECRET_KEY_ACTIONS.get(op)
    if kms_action and key and not key.startswith("alias/aws/"):  # AWS managed: no caller grant
        key_arn = key if key.startswith("arn:") else request.arn("kms", f"key/{key}")
        needs.append(Need(kms_action, key_arn,
                          {"kms:ViaService": f"secretsmanager.{request.region}.amazonaws.com"}))
    return needs


# --- CloudWatch --------------------------------------------------------------------------

def _cloudwatch(request: Request) -> list[Need]:
    op, p = request.operation, request.params
    context = {"cloudwatch:namespace": p["Namespace"]} if "Namespace" in p else {}
    return [Need(f"cloudwatch:{op}", "*", context)]


NEEDS: dict[str, Callable[[Request], list[Need]]] = {
    "dynamodb": _dynamodb, "sqs": _sqs, "secretsmanager": _secretsmanager,
    "cloudwatch": _cloudwatch,
}
# The error code AWS answers an unauthorized call with, per service (botocore reads it from
# the JSON body's __type; CloudWatch's CBOR protocol keeps moto's own XML error).
_DENIED_CODES = {"dynamodb": "AccessDeniedException", "secretsmanager": "AccessDeniedException",
                 "sqs": "AccessDenied"}


def needs(request: Request) -> list[Need]:
    """Never empty: a request that names nothing (a batch of no tables) still needs its action."""
    found = NEEDS[request.service](request)
    return found or [Need(f"{request.service}:{request.operation}", "*")]


def allowed(policies: list[Any], need: Need) -> bool:
    """moto's evaluation of every policy of the caller: one Deny refuses, one Allow allows."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    permitted = False
    for policy in policies:
        result = IAMPolicy(policy).is_action_permitted(need.action, need.resource, None,
                                                       dict(need.context))
        if result == PermissionResult.DENIED:
            return False
        permitted = permitted or result == PermissionResult.PERMITTED
    return permitted


# --- wiring into moto --------------------------------------------------------------------

def _params(response: Any) -> dict:
    for value in (getattr(response, "params", None), getattr(response, "body", None)):
        if isinstance(value, dict) and value:
            return value
    try:
        return json.loads(response.body or "{}")
    except (TypeError, ValueError):
        return {}


def _secret_key_lookup(account: str, region: str) -> Callable[[str], tuple[str, str | None] | None]:
    def lookup(secret_id: str):
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[account][region].secrets.get(secret_id)
        return (secret.arn, secret.kms_key_id) if secret is not None else None

    return lookup


def _denied(service: str, user_arn: str, need: Need) -> Exception:
    from moto.core.exceptions import AccessDeniedError, JsonRESTError

    message = (f"User: {user_arn} is not authorized to perform: {need.action} on resource: "
               f"{need.resource} because no identity-based policy allows the {need.action} action")
    code = _DENIED_CODES.get(service)
    if code is None:
        return AccessDeniedError(user_arn=user_arn, action=f"{need.action} on resource: "
                                                            f"{need.resource}")
    error = JsonRESTError(code, message)
    error.code = 403
    return error


def _request_class(service: str):
    from moto.iam.access_control import IAMRequest

    class CheckedRequest(IAMRequest):
        """moto's signed request, asked about every Need of the request instead of one action."""

        def __init__(self, *, response: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._response = response

        def check_action_permitted(self, resource: str) -> None:
            r = self._response
            request = Request(service, r._get_action(), _params(r), r.region, r.current_account,
                              _secret_key_lookup(r.current_account, r.region))
            policies = self._access_key.collect_policies()
            for need in needs(request):
                if not allowed(policies, need):
                    logger.warning("AccessDenied: %s may not %s on %s", self._access_key.arn,
                                   need.action, need.resource)
                    raise _denied(service, self._access_key.arn, need)

    return CheckedRequest


def install() -> None:
    """Ask moto's access control about Needs for the services in NEEDS (endpoint process only)."""
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.dynamodb.responses import DynamoHandler
    from moto.iam.access_control import IAMRequestBase
    from moto.secretsmanager.responses import SecretsManagerResponse
    from moto.sqs.responses import SQSResponse

    # What this module relies on in moto (5.x); a moto that moved them must fail here, loudly.
    for owner, name in ((ActionAuthenticatorMixin, "_authenticate_and_authorize_action"),
                        (ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action"),
                        (IAMRequestBase, "check_action_permitted")):
        if not hasattr(owner, name):
            raise RuntimeError(f"moto's access control changed ({owner.__name__}.{name} is "
                               "gone): devstack/moto_authz.py needs updating for this moto")
    for cls, service in ((DynamoHandler, "dynamodb"), (SQSResponse, "sqs"),
                         (SecretsManagerResponse, "secretsmanager"),
                         (CloudWatchResponse, "cloudwatch")):
        checked = _request_class(service)

        def authorize(self: Any, resource: str = "*", _checked=checked) -> None:
            self._authenticate_and_authorize_action(partial(_checked, response=self), resource)

        cls._authenticate_and_authorize_normal_action = authorize
