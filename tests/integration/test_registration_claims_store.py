"""Registration claims on the local DynamoDB endpoint (adapters/dynamodb/registration_claims.py):
one trunk per PBX extension, whether the registrar resolves to one address or several."""

from __future__ import annotations

import time
import uuid

import pytest

from smartalex.adapters.dynamodb.registration_claims import DynamoRegistrationClaims
from smartalex.domain.assignment import registration_identity


@pytest.fixture
def claims(aws_endpoint) -> DynamoRegistrationClaims:
    return DynamoRegistrationClaims(claim_seconds=120)


def identity(*addresses: str) -> tuple[str, ...]:
    return registration_identity([(a, 5060) for a in addresses],
                                 f"9{uuid.uuid4().int % 10**6:06d}")


@pytest.mark.parametrize("addresses", [("203.0.113.5",), ("203.0.113.5", "203.0.113.6")],
                         ids=["one address", "two addresses"])
def test_an_extension_is_claimed_by_one_trunk_until_its_claim_lapses(claims, addresses):
    keys, now = identity(*addresses), time.time()
    assert claims.claim(keys, "trk_a", "t1", now)
    assert claims.claim(keys, "trk_a", "t1", now + 40)  # renewed by whoever holds trk_a
    assert not claims.claim(keys, "trk_b", "t2", now + 100)
    assert claims.claim(keys, "trk_b", "t2", now + 40 + 121)  # lapsed: taken


def test_a_claim_overlapping_another_takes_none_of_its_keys(claims):
    first, now = identity("203.0.113.5"), time.time()
    both = registration_identity([("203.0.113.5", 5060), ("203.0.113.7", 5060)],
                                 first[0].rsplit(":", 1)[1])
    assert claims.claim(first, "trk_a", "t1", now)
    assert not claims.claim(both, "trk_b", "t2", now)
    alone = tuple(k for k in both if k not in first)
    assert claims.claim(alone, "trk_c", "t3", now)  # the other address was left untouched


def test_a_released_claim_is_free_at_once(claims):
    keys, now = identity("203.0.113.5"), time.time()
    claims.claim(keys, "trk_a", "t1", now)
    claims.release(keys, "trk_b")  # not its claim: nothing happens
    assert not claims.claim(keys, "trk_b", "t2", now)
    claims.release(keys, "trk_a")
    assert claims.claim(keys, "trk_b", "t2", now)
