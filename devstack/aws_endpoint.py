"""The local AWS endpoint: the user's LocalStack if they run one, else moto's server in a child
process (devstack/moto_server.py).

Everything else just reads `AWS_ENDPOINT_URL`; this module decides what it points at and
creates the tables, queues, SIP secrets key and secrets layout idempotently. IAM is enforced on
the moto server once `devstack.identities.enforce()` has created the runtimes' identities.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

from .processes import Child

DEFAULT_PORT = 4566
# What the bootstrap signs with while moto lets requests through unauthenticated (and what
# everything signs with on an endpoint that does not enforce IAM).
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def configured_endpoint() -> str | None:
    """The endpoint the user pointed us at: AWS_ENDPOINT_URL, else LOCALSTACK_HOST."""
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    host = os.environ.get("LOCALSTACK_HOST")
    if host:
        return host if "://" in host else f"http://{host}"
    return None


def is_listening(url: str, timeout: float = 0.5) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


class EmbeddedMoto:
    """moto's server on loopback, in a child process of ours (stopped with its process group).

    IAM is not enforced until `enforce_iam()`: the bootstrap needs no identity."""

    def __init__(self, port: int = DEFAULT_PORT, host: str = "127.0.0.1",
                 log: Path | None = None):
        self.url = f"http://{host}:{port}"
        self._child = Child("aws", [sys.executable, "-m", "devstack.moto_server", "--host", host,
                                    "--port", str(port)],
                            env=dict(os.environ), cwd=Path(__file__).resolve().parent.parent,
                            log=log)

    def start(self, timeout: float = 30.0) -> "EmbeddedMoto":
        self._child.start()
        deadline = time.monotonic() + timeout
        while not is_listening(self.url):
            if not self._child.alive():
                raise RuntimeError(f"the moto server exited ({self._child.proc.returncode}) "
                                   f"before listening on {self.url}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the moto server did not listen on {self.url}")
            time.sleep(0.05)
        return self

    @property
    def pid(self) -> int:
        """The server's process id (benchmarks measure its CPU)."""
        return self._child.proc.pid

    def enforce_iam(self) -> None:
        """From the next request on, authorize every request against the caller's IAM policies
        (moto's INITIAL_NO_AUTH_ACTION_COUNT, set to 0 and its counter reset, over HTTP)."""
        reply = requests.post(f"{self.url}/moto-api/reset-auth", data=b"0", timeout=10)
        reply.raise_for_status()

    def stop(self) -> None:
        self._child.stop(grace=5)


def use_endpoint(url: str) -> None:
    """Point this process (and the children it starts) at `url` with local credentials."""
    os.environ["AWS_ENDPOINT_URL"] = url
    for key, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    from smartalex.adapters import aws

    aws.client.cache_clear()


def create_secrets_key() -> str:
    """The customer managed key SIP secrets are encrypted with, as the Secrets stack's key is in
    AWS: found by its alias, else created; its ARN goes into SMARTALEX_SECRETS_KMS_KEY_ID, so the
    API creates every secret with it and reading one needs kms:Decrypt on it (moto_authz)."""
    from smartalex.adapters import aws, names

    kms = aws.client("kms")
    alias = f"alias/smartalex/{names.stage()}/sip-secrets"
    try:
        arn = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
    except kms.exceptions.NotFoundException:
        arn = kms.create_key(Description="SmartAlex SIP trunk passwords (local)")[
            "KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=alias, TargetKeyId=arn)
    os.environ["SMARTALEX_SECRETS_KMS_KEY_ID"] = arn
    return arn


def provision(queue_visibility_timeout: int | None = None) -> dict[str, str]:
    """Create every table and queue the system uses, and the SIP secrets key; safe to run
    again. Returns the queue URLs by key."""
    from smartalex.adapters.dynamodb.schema import create_tables
    from smartalex.adapters.queues import create_queues

    create_tables()
    create_secrets_key()
    return create_queues(visibility_timeout=queue_visibility_timeout)
