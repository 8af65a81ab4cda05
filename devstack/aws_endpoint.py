"""The local AWS endpoint: the user's LocalStack if they run one, else an embedded moto server.

Everything else just reads `AWS_ENDPOINT_URL`; this module decides what it points at and
creates the tables, queues and secrets layout idempotently.
"""

from __future__ import annotations

import os
import socket
import time
from urllib.parse import urlparse

DEFAULT_PORT = 4566
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
    """moto's threaded server on loopback; in-process, gone when the process ends."""

    def __init__(self, port: int = DEFAULT_PORT, host: str = "127.0.0.1"):
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call otherwise
        self.url = f"http://{host}:{port}"
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)

    def start(self, timeout: float = 10.0) -> "EmbeddedMoto":
        self._server.start()
        deadline = time.monotonic() + timeout
        while not is_listening(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the embedded moto server did not listen on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.stop()


def use_endpoint(url: str) -> None:
    """Point this process (and the children it starts) at `url` with local credentials."""
    os.environ["AWS_ENDPOINT_URL"] = url
    for key, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    from smartalex.adapters import aws

    aws.client.cache_clear()


def provision(queue_visibility_timeout: int | None = None) -> dict[str, str]:
    """Create every table and queue the system uses; safe to run again."""
    from smartalex.adapters.dynamodb.schema import create_tables
    from smartalex.adapters.queues import create_queues

    create_tables()
    return create_queues(visibility_timeout=queue_visibility_timeout)
