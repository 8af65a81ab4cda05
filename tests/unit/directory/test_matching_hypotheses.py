"""Resolving a request heard as several hypotheses (a recogniser's n-best list)."""

from __future__ import annotations

from smartalex.domain.directory import DirectoryEntry, Verdict
from smartalex.domain.matching import Matcher
from smartalex.domain.matching_hypotheses import CONFLICT_SHARE, resolve_hypotheses

MATCHER = Matcher((
    DirectoryEntry("100", "Reception", ("front desk",)),
    DirectoryEntry("215", "Sarah Murphy", ("billing",)),
    DirectoryEntry("220", "Rachel Stein", ("marketing",)),
    DirectoryEntry("420", "Ben Novak", ("legal",)),
))


def test_the_best_hypothesis_alone_resolves_as_the_matcher_does():
    assert resolve_hypotheses(MATCHER, "rachel please") == MATCHER.resolve("rachel please")


def test_alternatives_that_agree_or_name_nobody_leave_a_match_alone():
    resolution = resolve_hypotheses(MATCHER, "rachel please", (
        ("rachel stein please", 0.3), ("the please", 0.3), ("hello please", 0.2)))
    assert resolution.verdict is Verdict.MATCH and resolution.match.extension == "220"


def test_a_match_contradicted_by_enough_of_the_weight_becomes_a_question():
    resolution = resolve_hypotheses(MATCHER, "rachel please", (
        ("legal please", 0.33), ("little please", 0.3)))
    assert resolution.verdict is Verdict.AMBIGUOUS
    assert [c.extension for c in resolution.candidates] == ["220", "420"]


def test_a_little_contradiction_is_not_enough():
    just_under = CONFLICT_SHARE * 0.9
    resolution = resolve_hypotheses(MATCHER, "rachel please", (("legal please", just_under),))
    assert resolution.verdict is Verdict.MATCH


def test_weights_on_any_scale_are_shares_of_the_whole():
    # not probabilities: the best counts as much as the first alternative
    resolution = resolve_hypotheses(MATCHER, "sarah murphy", (("ben novak", 5.0),))
    assert resolution.verdict is Verdict.AMBIGUOUS


def test_only_the_best_hypothesis_can_match():
    resolution = resolve_hypotheses(MATCHER, "the please", (("legal please", 0.9),))
    assert resolution.verdict is not Verdict.MATCH
