"""Reading extensions out of what speech recognition wrote."""

from __future__ import annotations

import pytest

from smartalex.domain.matching_text import number_runs, phonetic, stem, words


def readings(text: str) -> list[tuple[str, ...]]:
    return [run.readings for run in number_runs([w.text for w in words(text)])]


@pytest.mark.parametrize("text, digits", [
    ("215", "215"), ("2 1 5", "215"), ("two one five", "215"), ("two fifteen", "215"),
    ("two hundred and fifteen", "215"), ("three oh one", "301"), ("one zero zero", "100"),
    ("a hundred", "100"), ("one hundred", "100"), ("two forty one", "241"),
    ("twenty one", "21"), ("double two five", "225"), ("two thousand and one", "2001"),
    ("x215", "215"),
])
def test_spoken_and_written_numbers_read_as_digits(text, digits):
    assert readings(text)[0][0] == digits


def test_a_leading_oh_is_read_both_ways():
    assert readings("oh two one five") == [("0215", "215")]


def test_oh_on_its_own_is_an_interjection():
    assert readings("oh hello") == []


@pytest.mark.parametrize("text, cued, excluded", [
    ("extension 215", True, False), ("dial two one five", True, False),
    ("order number 4471", False, True), ("302 euros", False, True), ("215 please", False, False),
])
def test_numbers_know_whether_they_were_announced_as_an_extension(text, cued, excluded):
    (run,) = number_runs([w.text for w in words(text)])

    assert (run.cued, run.excluded) == (cued, excluded)


def test_words_normalise_acronyms_apostrophes_and_accents():
    said = words("Can I get the I.T. dept? O'Brien's Seán, H R")

    assert [w.text for w in said] == ["can", "i", "get", "the", "it", "dept", "obrien", "sean",
                                      "hr"]
    assert [w.text for w in said if w.acronym] == ["it", "hr"]


@pytest.mark.parametrize("a, b", [("murphy", "murfy"), ("sarah", "sara"), ("smyth", "smith"),
                                  ("kelley", "kelly"), ("billing", "biling"),
                                  ("reception", "recepshun"), ("marc", "mark")])
def test_names_that_sound_alike_share_a_phonetic_key(a, b):
    assert phonetic(a) == phonetic(b)


@pytest.mark.parametrize("a, b", [("charged", "charge"), ("invoices", "invoice"),
                                  ("deliveries", "delivery"), ("billing", "bill")])
def test_inflections_share_a_stem(a, b):
    assert stem(a) == stem(b)
