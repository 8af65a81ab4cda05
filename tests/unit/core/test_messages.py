"""The edge -> control plane envelope: round trip, ordering and strictness."""

import json
import random
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from smartalex.domain.messages import Envelope, RegistrationObserved, order_key, wrap
from smartalex.domain.registration import Problem, RegistrationState

AT = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


def an_envelope(**fields) -> Envelope:
    payload = RegistrationObserved(
        state=RegistrationState.FAILED, problem=Problem.AUTH, sip_code=401,
        reason="Unauthorized", attempt_at=AT,
    )
    values = dict(edge="edge-1", tenant="tenant-a", trunk="trk_1", generation=3, fence=7,
                  sequence=42, time=AT)
    values.update(fields)
    return wrap(payload, **values)


def as_dict(envelope: Envelope) -> dict:
    return json.loads(envelope.to_json())


def test_an_envelope_survives_a_round_trip_through_json():
    envelope = an_envelope()
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_wrap_takes_the_type_from_the_payload_and_the_current_version():
    body = as_dict(an_envelope())
    assert body["type"] == "registration.observed"
    assert body["version"] == 1


def test_wrap_stamps_the_time_when_none_is_given():
    envelope = wrap(RegistrationObserved(state=RegistrationState.CONNECTING), edge="e",
                    tenant="t", trunk="trk_1", generation=1, fence=1, sequence=1)
    assert envelope.time.tzinfo is not None


def test_the_order_of_an_envelope_is_its_generation_fence_and_sequence():
    assert an_envelope().order == order_key(3, 7, 42)


def test_order_key_sorts_like_the_tuple():
    rng = random.Random(20250301)
    limits = [1, 9, 10, 99, 10**6, 10**12 - 1]

    def component() -> int:
        return rng.randint(0, rng.choice(limits))

    triples = [(component(), component(), component()) for _ in range(3000)]
    triples += [(1, 0, 0), (1, 0, 1), (1, 1, 0), (2, 0, 0), (0, 0, 0)]
    assert sorted(triples, key=lambda t: order_key(*t)) == sorted(triples)
    for a, b in zip(triples, triples[1:]):
        assert (order_key(*a) < order_key(*b)) == (a < b)
        assert (order_key(*a) == order_key(*b)) == (a == b)


def test_a_fresh_generation_outranks_anything_from_the_one_before():
    assert order_key(2, 0, 0) > order_key(1, 10**12 - 1, 10**12 - 1)


def test_an_unknown_version_is_rejected():
    body = as_dict(an_envelope())
    body["version"] = 2
    with pytest.raises(ValidationError):
        Envelope.from_json(json.dumps(body))


def test_an_extra_field_on_the_envelope_is_rejected():
    body = as_dict(an_envelope())
    body["priority"] = "high"
    with pytest.raises(ValidationError):
        Envelope.from_json(json.dumps(body))


def test_an_extra_field_in_the_payload_is_rejected():
    body = as_dict(an_envelope())
    body["payload"]["password"] = "x"
    with pytest.raises(ValidationError):
        Envelope.from_json(json.dumps(body))


@pytest.mark.parametrize("field, value", [
    ("generation", -1), ("fence", -1), ("sequence", -1), ("edge", ""), ("trunk", ""),
    ("tenant", ""),
])
def test_a_malformed_envelope_is_rejected(field, value):
    body = as_dict(an_envelope())
    body[field] = value
    with pytest.raises(ValidationError):
        Envelope.from_json(json.dumps(body))


def test_an_unknown_state_is_rejected():
    body = as_dict(an_envelope())
    body["payload"]["state"] = "flapping"
    with pytest.raises(ValidationError):
        Envelope.from_json(json.dumps(body))
