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


if __name__ == "__main__":
    sys.exit(main())
