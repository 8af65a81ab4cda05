"""The runtimes' own IAM identities on the local moto server, and the switch that enforces them.

Each runtime (the API, the edge-events handler, the edge with its workers and receptionist) gets
an IAM user in moto whose inline policies are exactly its role's policy documents as the CDK
app synthesizes them (devstack/runtime_policies.py), and an access key, which reaches the
runtime's process the standard way: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its
environment (`Identity.environment()`). The process that sets the stack up (`make run`'s, the
test session) becomes the `admin` user: it provisions, inspects and cleans up, as an operator
with administrator access would; it never hands its own keys to a runtime.

The keys are moto's, valid only on this machine's endpoint; they are still never printed.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from . import runtime_policies

ADMIN = "admin"
ADMIN_POLICY = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
# Whatever else could make a process sign as someone else.
_OTHER_CREDENTIALS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE",
                      "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE")


@dataclass(frozen=True)
class Identity:
    name: str  # a runtime of runtime_policies.RUNTIMES, or ADMIN
    user_arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.secret_access_key}

    def process_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` for a child process that must sign as this identity and nobody else."""
        env = {k: v for k, v in base.items() if k not in _OTHER_CREDENTIALS}
        env.update(self.environment())
        return env


def user_name(name: str) -> str:
    from smartalex.adapters import names

    return f"smartalex-{names.stage()}-{name}"


def create_identities(policies: Mapping[str, list[tuple[str, dict]]]) -> dict[str, Identity]:
    """An IAM user with an access key per runtime, holding its policies, and the admin."""
    from smartalex.adapters import aws

    iam = aws.client("iam")
    found = {}
    for name, documents in {**policies, ADMIN: [("AdministratorAccess", ADMIN_POLICY)]}.items():
        user = iam.create_user(UserName=user_name(name))["User"]
        for policy_name, document in documents:
            iam.put_user_policy(UserName=user["UserName"], PolicyName=policy_name,
                                PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
        found[name] = Identity(name, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])
    return found


def enforce(server) -> dict[str, Identity]:
    """Create the identities on `server` (an EmbeddedMoto that does not enforce IAM yet), make
    this process the admin, and switch IAM on: from then on every request is authorized against
    its caller's policies. Returns the identities by name."""
    identities = create_identities(runtime_policies.local_policies())
    become(identities[ADMIN])
    server.enforce_iam()
    return identities


# --- one process, several identities (tests) ---------------------------------------------

_lock = threading.RLock()
# DynamoDB connections by the access key they were made with: pynamodb keeps one per model
# class, with the credentials of the moment it was made.
_connections: dict[str | None, dict[type, object]] = {}


def _switch_connections(to_key: str | None) -> None:
    from smartalex.adapters.dynamodb.models import MODELS

    _connections[os.environ.get("AWS_ACCESS_KEY_ID")] = {m: m._connection for m in MODELS}
    kept = _connections.get(to_key, {})
    for model in MODELS:
        model._connection = kept.get(model)


def become(identity: Identity) -> None:
    """From now on this process signs as `identity` (new clients; smartalex.adapters.aws caches
    them by access key, DynamoDB connections are kept per key here)."""
    with _lock:
        _switch_connections(identity.access_key_id)
        for key in _OTHER_CREDENTIALS:
            os.environ.pop(key, None)
        os.environ.update(identity.environment())


@contextmanager
def acting_as(identity: Identity) -> Iterator[None]:
    """Run the block as `identity`: for runtime code that runs inside the test process (the API
    under chalice.test, the edge-events handler pumped by hand). Objects that made their client
    inside the block keep signing as `identity` afterwards. One identity at a time per process:
    not for blocks running concurrently in several threads."""
    with _lock:
        before = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        _switch_connections(identity.access_key_id)
        os.environ.update(identity.environment())
        try:
            yield
        finally:
            _switch_connections(before["AWS_ACCESS_KEY_ID"])
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
