"""`python -m devstack.moto_server --port N`: the local AWS endpoint, moto's server in a process
of its own (devstack/aws_endpoint.py starts it).

A process of its own because moto's IAM switch is process-wide (moto.settings and a class-level
request counter) and moto_authz changes moto's classes: here they cannot reach the unit tests,
whose `mock_aws` runs in the test process. IAM starts off (INITIAL_NO_AUTH_ACTION_COUNT=inf, what
moto does without the variable), so the bootstrap can create tables, queues and IAM users with no
identity yet; the process that bootstrapped then switches it on with moto's own
`POST /moto-api/reset-auth` (EmbeddedMoto.enforce_iam). Every refused request is logged:
`AccessDenied: <user ARN> may not <action> on <resource>`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # Before moto is imported: moto.settings reads it once. The bootstrap runs unauthenticated.
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "inf"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call otherwise

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from . import moto_authz

    moto_authz.install()
    _atomic_dynamodb_writes()
    lazy_queue_attributes()
    secrets_by_name()
    server = make_server(args.host, args.port, DomainDispatcherApplication(create_backend_app),
                         threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _atomic_dynamodb_writes() -> None:
    """DynamoDB applies each conditional write and each transaction atomically; moto checks the
    condition and then writes, with no lock, on whichever server thread took the request. Two
    concurrent transactions could then both pass (seen in a full-suite run: the API's concurrent
    agent links left one agent on two trunks), which DynamoDB never allows and the leases,
    registration claims and links rely on. So every write runs under one lock here."""
    import functools
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "delete_item", "batch_write_item",
                 "transact_write_items", "execute_transaction"):
        method = getattr(DynamoDBBackend, name)

        @functools.wraps(method)
        def atomic(self, *args, _method=method, **kwargs):
            with lock:
                return _method(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, atomic)


def lazy_queue_attributes() -> None:
    """moto computes every attribute of a queue, the counts of its messages included (a walk
    over all of them each), to read one: once per message sent (to check content-based
    deduplication) and once per message received (its retention period). With a few thousand
    messages waiting, as after an edge restart of 1,000 trunks, SQS took most of the endpoint's
    CPU and DynamoDB requests waited behind it. Here an attribute is computed when read: the
    same values, as the same dict to every caller."""
    from collections.abc import Mapping

    from moto.sqs.models import Queue
    from moto.core.utils import camelcase_to_underscores

    class _Attributes(Mapping):
        def __init__(self, queue: Queue):
            self._queue = queue
            self._names = list(queue.BASE_ATTRIBUTES)
            if queue.fifo_queue:
                self._names += queue.FIFO_ATTRIBUTES
            if queue.kms_master_key_id:
                self._names += queue.KMS_ATTRIBUTES
            if queue.policy:
                self._names.append("Policy")
            if queue.redrive_policy:
                self._names.append("RedrivePolicy")

        def __getitem__(self, name: str):
            import json

            if name not in self._names:
                raise KeyError(name)
            if name == "Policy":
                return self._queue.policy
            if name == "RedrivePolicy":
                return json.dumps(self._queue.redrive_policy)
            value = getattr(self._queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self):
            return iter(self._names)

        def __len__(self) -> int:
            return len(self._names)

    Queue.attributes = property(lambda queue: _Attributes(queue))  # type: ignore[assignment]


def secrets_by_name() -> None:
    """moto finds a secret by walking every secret (comparing each one's ARN, built on every
    access, and name), several times per GetSecretValue: an edge taking 1,000 trunks reads
    1,000 passwords among 1,000 secrets. A secret asked for by its name, the key moto keeps it
    under and what the runtimes ask for, is found at once here; anything else (an ARN, a
    partial ARN) goes the original way."""
    from moto.secretsmanager.models import SecretsStore

    for name in ("__getitem__", "__contains__", "get"):
        original = getattr(SecretsStore, name)

        def by_name(self, key, *args, _original=original, _name=name):
            if isinstance(key, str) and dict.__contains__(self, key):
                secret = dict.__getitem__(self, key)
                if secret.name == key:
                    return True if _name == "__contains__" else secret
            return _original(self, key, *args)

        setattr(SecretsStore, name, by_name)


if __name__ == "__main__":
    sys.exit(main())
