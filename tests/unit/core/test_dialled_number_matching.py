"""A bound DID is recognised in the shapes PBXs hand the dialled number over."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from smartalex.domain.dids import national_significant
from smartalex.domain.phone_number import PhoneNumber


def number(e164: str) -> PhoneNumber:
    return PhoneNumber("num_1", "t", e164, national_significant(e164), None, "trk_1", "1000",
                       "agt_1", datetime.now(timezone.utc))


@pytest.mark.parametrize("e164,dialled", [
    ("+353871234567", "+353871234567"), ("+353871234567", "353871234567"),
    ("+353871234567", "00353871234567"), ("+353871234567", "0871234567"),
    ("+353871234567", "871234567"), ("+353871234567", "+353 87 123 4567"),
    ("+390612345678", "0612345678"), ("+390612345678", "+390612345678"),
    ("+14155550123", "4155550123"), ("+14155550123", "14155550123"),
])
def test_every_usual_shape_of_the_dialled_number_matches(e164, dialled):
    assert number(e164).matches(dialled)


@pytest.mark.parametrize("dialled", ["1000", "0871234568", "", None, "sip", "+353871234"])
def test_other_numbers_do_not_match(dialled):
    assert not number("+353871234567").matches(dialled)
