"""Quality gate on the shipped labelled data (benchmarks/data/): the matcher must never
transfer to the wrong extension, and must get at least 90 % right (asking again counts as
not right, but is never wrong)."""

from __future__ import annotations

import pytest

from .conftest import labelled

SETS = ["directory_utterances.jsonl", "directory_utterances_holdout.jsonl"]


def outcomes(matcher, rows):
    right, wrong, asked = [], [], []
    for row in rows:
        resolution = matcher.resolve(row["text"])
        got = resolution.match.extension if resolution.match else None
        (right if got == row["expected"] else asked if got is None else wrong).append(
            (row["text"], row["expected"], got))
    return right, wrong, asked


def test_the_labelled_set_is_large_and_covers_every_category():
    rows = labelled(SETS[0])

    assert len(rows) >= 150
    assert {"name", "first_or_surname", "alias", "digits", "words", "misspelling",
            "paraphrase", "ambiguous", "no_match"} <= {r["category"] for r in rows}
    assert sum(r["expected"] is None for r in rows) >= 30


@pytest.mark.parametrize("name", SETS)
def test_no_labelled_utterance_is_transferred_to_the_wrong_extension(demo, name):
    _, wrong, _ = outcomes(demo, labelled(name))

    assert wrong == []


@pytest.mark.parametrize("name", SETS)
def test_at_least_nine_in_ten_labelled_utterances_resolve_as_labelled(demo, name):
    rows = labelled(name)
    right, _, asked = outcomes(demo, rows)

    assert len(right) / len(rows) >= 0.9, asked
