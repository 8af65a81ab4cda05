"""The one way to build an AWS client.

Endpoint and region come from the standard environment (`AWS_ENDPOINT_URL`, `AWS_REGION` /
`AWS_DEFAULT_REGION`), which boto3 and pynamodb both honour, so the same code talks to AWS, to
LocalStack or to the embedded moto server without a flag of its own.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

# Every AWS call waits a bounded time: an endpoint that hangs (not refuses) must not hold the
# edge's loop or an API request for minutes (botocore's own defaults are 60 s per read, and
# pynamodb's 30 s x 4 tries). A call gives up after ATTEMPTS tries of at most CONNECT_TIMEOUT +
# READ_TIMEOUT each, about 25 s with the back-off: inside API Gateway's 29 s, and far inside the
# edge's loop stall limit (edge/health.py). DynamoDB answers in milliseconds; 5 s is a stall.
# The edge's lease renewal has tighter bounds of its own (adapters/dynamodb/leases.py).
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 5
ATTEMPTS = 3
_CONFIG = Config(retries={"mode": "standard", "max_attempts": ATTEMPTS},
                 connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def client(service: str) -> Any:
    """A cached boto3 client; clients are thread-safe, sessions are not shared across threads.

    Cached per access key as well: a process whose credentials change gets clients that sign
    with the new ones (a test process acting as one runtime, then another:
    devstack/identities.py)."""
    return _client(service, os.environ.get("AWS_ACCESS_KEY_ID"))


_building = threading.Lock()


def _client(service: str, access_key_id: str | None) -> Any:
    """One client per (service, key), built once even when many threads ask at once (lru_cache
    alone lets every caller that misses build its own: tenths of a second of CPU each)."""
    with _building:
        return _cached_client(service, access_key_id)


@lru_cache(maxsize=None)
def _cached_client(service: str, _access_key_id: str | None) -> Any:
    return boto3.session.Session().client(service, region_name=region(), config=_CONFIG)


client.cache_clear = _cached_client.cache_clear  # type: ignore[attr-defined]  # endpoint changed
