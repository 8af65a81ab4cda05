"""The directory matcher on the demo directory (benchmarks/data/demo_directory.json): 100
Reception, 215 Sarah Murphy (alias Sarah, accounts, billing), 220 Sarah Chen, 240 David Walsh,
241 Emma Walsh (HR), 250 John Smith, 251 Joanne Smyth, 260 Peter Byrne, 270 Aoife Kelly,
280 Mark Fitzgerald, 301 Support (IT), 302 Sales."""

from __future__ import annotations

import time

import pytest

from smartalex.domain.directory import DirectoryEntry, Verdict
from smartalex.domain.matching import MATCH_AT, Matcher


def transfers_to(matcher: Matcher, text: str) -> str | None:
    resolution = matcher.resolve(text)
    assert (resolution.match is None) == (resolution.verdict is not Verdict.MATCH), resolution
    return resolution.match.extension if resolution.match else None


@pytest.mark.parametrize("text, extension", [
    ("Sarah Murphy", "215"),
    ("put me through to Sarah Chen please", "220"),
    ("can I speak to Mark Fitzgerald", "280"),
    ("Support", "301"),
])
def test_display_names_transfer(demo, text, extension):
    assert transfers_to(demo, text) == extension


@pytest.mark.parametrize("text, extension", [
    ("David", "240"), ("can I talk to Emma", "241"), ("Murphy please", "215"),
    ("Ms Chen", "220"), ("Mr Byrne", "260"), ("Dave", "240"), ("Pete please", "260"),
])
def test_a_unique_first_name_surname_or_nickname_transfers(demo, text, extension):
    assert transfers_to(demo, text) == extension


@pytest.mark.parametrize("text, extension", [
    ("billing", "215"), ("the front desk please", "100"), ("operator", "100"),
    ("accounts", "215"), ("human resources", "241"), ("the help desk", "301"),
    ("put me through to IT", "301"), ("the I.T. department", "301"), ("H R please", "241"),
])
def test_aliases_transfer(demo, text, extension):
    assert transfers_to(demo, text) == extension


@pytest.mark.parametrize("text, extension", [
    ("215", "215"), ("extension 215", "215"), ("2 1 5", "215"), ("x280", "280"),
    ("two one five", "215"), ("two fifteen", "215"), ("two hundred and fifteen", "215"),
    ("three oh one", "301"), ("extension three zero one", "301"), ("one hundred", "100"),
    ("two forty one", "241"),
])
def test_extensions_in_digits_or_words_transfer(demo, text, extension):
    assert transfers_to(demo, text) == extension


@pytest.mark.parametrize("text", ["extension 216", "two one six", "999"])
def test_an_extension_that_is_not_listed_is_not_guessed(demo, text):
    resolution = demo.resolve(text)

    assert resolution.verdict is Verdict.NO_MATCH and resolution.match is None


def test_a_number_that_is_a_price_or_a_reference_is_not_an_extension(demo):
    assert transfers_to(demo, "my order number is 302") is None
    assert transfers_to(demo, "I was charged 302 euros twice") == "215"  # billing, not sales


@pytest.mark.parametrize("text, extension", [
    ("Sara Murfy", "215"), ("biling", "215"), ("acounts", "215"), ("Sarah Chenn", "220"),
    ("Marc Fitzgerald", "280"), ("Mark Fitz Gerald", "280"), ("recepshun", "100"),
    ("tech suport", "301"), ("Aoife Kelley", "270"), ("John Smyth", "250"),
    ("Joann Smith", "251"),
])
def test_small_misspellings_and_asr_errors_still_transfer(demo, text, extension):
    assert transfers_to(demo, text) == extension


def test_a_misspelt_match_is_less_confident_than_an_exact_one(demo):
    exact, misspelt = demo.resolve("Sarah Murphy").match, demo.resolve("Sara Murfy").match

    assert misspelt.confidence < exact.confidence == 1.0


@pytest.mark.parametrize("text, extension", [
    ("I have a question about my invoice", "215"), ("I was charged twice", "215"),
    ("I need tech support", "301"), ("my internet is down", "301"),
    ("I want to buy", "302"), ("what is your pricing", "302"),
    ("can I talk to a human", "100"), ("the receptionist please", "100"),
    ("my parcel hasn't arrived", "240"), ("there's a mistake on my payslip", "251"),
    ("I want to make a complaint", "270"), ("the heating is broken", "280"),
])
def test_everyday_paraphrases_reach_the_department(demo, text, extension):
    assert transfers_to(demo, text) == extension


def test_a_paraphrase_reports_the_alias_it_stands_for(demo):
    match = demo.resolve("I have a question about my invoice").match

    assert (match.extension, match.matched) == ("215", "accounts")
    assert MATCH_AT <= match.confidence < 1.0


def test_a_shared_first_name_is_ambiguous_and_offers_both(demo):
    resolution = demo.resolve("can I speak to Sarah")

    assert resolution.verdict is Verdict.AMBIGUOUS and resolution.match is None
    assert {c.extension for c in resolution.candidates} == {"215", "220"}
    assert all(0 < c.confidence <= 1 for c in resolution.candidates)
    assert {c.matched for c in resolution.candidates} == {"Sarah"}


def test_an_alias_that_is_also_a_first_name_does_not_break_the_tie(demo):
    # 215 lists "Sarah" as an alias, but so is Sarah Chen called: asking beats guessing.
    assert demo.resolve("Sarah").verdict is Verdict.AMBIGUOUS


@pytest.mark.parametrize("text, expected", [
    ("Walsh", {"240", "241"}), ("Smith", {"250", "251"}),
    ("billing or support", {"215", "301"}), ("Sarah Murphy or Sarah Chen", {"215", "220"}),
    ("my internet is down and I want a refund", {"215", "301"}),
])
def test_close_candidates_are_ambiguous(demo, text, expected):
    resolution = demo.resolve(text)

    assert resolution.verdict is Verdict.AMBIGUOUS and resolution.match is None
    assert {c.extension for c in resolution.candidates[:2]} == expected


def test_a_full_name_silences_the_other_entry_with_the_same_first_name(demo):
    resolution = demo.resolve("Sarah Murphy")

    assert [c.extension for c in resolution.candidates] == ["215"]


def test_something_said_about_the_person_settles_a_shared_first_name(demo):
    assert transfers_to(demo, "Sarah in accounts") == "215"
    assert transfers_to(demo, "Sarah from marketing") == "220"
    assert transfers_to(demo, "Sarah about my invoice") == "215"


def test_an_unknown_person_with_a_listed_surname_is_asked_about_not_transferred(demo):
    resolution = demo.resolve("Brian Kelly please")

    assert resolution.verdict is Verdict.NO_MATCH and resolution.match is None
    assert [c.extension for c in resolution.candidates] == ["270"]
    assert resolution.candidates[0].confidence < MATCH_AT


@pytest.mark.parametrize("text", [
    "what are your opening hours", "can I speak to Tom", "Michael O'Brien", "Mary please",
    "Sarah Connor", "the kitchen please", "goodbye",
])
def test_requests_for_nobody_listed_do_not_match(demo, text):
    resolution = demo.resolve(text)

    assert resolution.verdict in (Verdict.NO_MATCH, Verdict.AMBIGUOUS)
    assert resolution.match is None


@pytest.mark.parametrize("text", ["", "   ", "um", "please", "can I speak to someone", "?!"])
def test_nothing_usable_is_empty_without_candidates(demo, text):
    resolution = demo.resolve(text)

    assert (resolution.verdict, resolution.match, resolution.candidates) == (
        Verdict.EMPTY, None, ())


def test_the_caller_introducing_themselves_is_not_a_request_for_that_name(demo):
    assert transfers_to(demo, "hi, this is Sarah from Acme, can I speak to John Smith") == "250"
    assert transfers_to(demo, "my name is David and I'd like to talk to Emma") == "241"


def test_it_as_an_ordinary_word_is_not_the_it_department(demo):
    assert transfers_to(demo, "can you put it through to sales") == "302"
    assert transfers_to(demo, "I think it is broken") is None


def test_candidates_are_ordered_best_first_and_capped():
    entries = [DirectoryEntry(str(200 + k), f"Sarah {surname}") for k, surname in enumerate(
        ["Murphy", "Chen", "Kelly", "Byrne", "Walsh", "Smith", "Quinn", "Lynch"])]

    resolution = Matcher(entries).resolve("Sarah")

    assert resolution.verdict is Verdict.AMBIGUOUS
    assert 2 <= len(resolution.candidates) <= 5
    confidences = [c.confidence for c in resolution.candidates]
    assert confidences == sorted(confidences, reverse=True)


def test_a_common_word_is_not_taken_for_a_name_mid_sentence():
    matcher = Matcher([DirectoryEntry("1", "Will Jones"), DirectoryEntry("2", "Accounts")])

    assert transfers_to(matcher, "Will please") == "1"
    assert transfers_to(matcher, "I will pay my bill") == "2"


def test_an_empty_directory_matches_nothing():
    assert Matcher([]).resolve("billing").verdict is Verdict.NO_MATCH
    assert Matcher([]).resolve("").verdict is Verdict.EMPTY


def test_department_display_names_are_not_split_into_first_and_last_names():
    matcher = Matcher([DirectoryEntry("10", "Conference Room"), DirectoryEntry("11", "Human "
                                                                                     "Resources")])

    assert transfers_to(matcher, "I'm calling about the conference") is None
    assert transfers_to(matcher, "can I talk to a human") is None


def test_resolving_against_500_entries_is_fast():
    # A generous bound (the benchmark prints the real figures): guards against a quadratic
    # slip, not a tuning target.
    entries = [DirectoryEntry(str(1000 + k), f"{first} {last}")
               for k, (first, last) in enumerate(
                   (f, s) for f in ("Anna", "Brian", "Ciara", "David", "Emma", "Fiona", "Gary",
                                    "Helen", "Ian", "Julia") for s in (
                       "Murphy", "Kelly", "Byrne", "Walsh", "Smith", "Quinn", "Lynch", "Ryan",
                       "Moore", "Chen", "Patel", "Novak", "Silva", "Rossi", "Khan", "Okafor",
                       "Larsen", "Young", "King", "Hill", "Adams", "Baker", "Clark", "Davis",
                       "Evans", "Ford", "Green", "Hall", "Irwin", "Jones", "Kerr", "Lee",
                       "Mason", "Nash", "Owen", "Price", "Reid", "Shaw", "Todd", "Vance",
                       "Wade", "Yates", "Zane", "Abbott", "Barton", "Casey", "Doyle", "Egan",
                       "Flynn", "Gibbs"))]
    matcher = Matcher(entries)
    started = time.perf_counter()
    for text in ("put me through to Ciara Novak please", "extension 1234", "Brain Walsh",
                 "I have a question about my invoice", "Gary") * 20:
        matcher.resolve(text)

    assert len(entries) == 500
    assert (time.perf_counter() - started) / 100 < 0.05
