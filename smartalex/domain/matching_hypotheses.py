"""Resolving a request heard as several hypotheses (a speech recogniser's n-best list).

A recogniser that is unsure says so by disagreeing with itself: its best guess names Sarah
Murphy, but a good share of its other hypotheses name Sarah Chen. Transferring on the best
guess alone is then a coin toss, and a wrong transfer is worse than a question. So:

- The best hypothesis decides what the request is (`Matcher.resolve`): only it can MATCH.
- Its match stands unless hypotheses carrying at least CONFLICT_SHARE of the weight resolve to
  a match with another entry; then the request is AMBIGUOUS between them, and the agent asks.
- Hypotheses that match nothing neither confirm nor contradict it (the recogniser's
  alternatives often drop or garble the name while agreeing on nothing else).

Weights are the recogniser's relative belief in each hypothesis (any scale; they are
normalised here). The threshold was tuned on agents/receptionist/data/tuning.json with both
synthetic voices (docs/receptionist.md), where it turned most wrong transfers into questions.
"""

from __future__ import annotations

from collections.abc import Sequence

from .directory import Candidate, Resolution, Verdict
from .matching import Matcher

CONFLICT_SHARE = 0.2     # share of the weight naming another entry that makes a match a question
MAX_HYPOTHESES = 20      # more alternatives than this are not looked at


def resolve_hypotheses(matcher: Matcher, text: str,
                       alternatives: Sequence[tuple[str, float]] = ()) -> Resolution:
    """`text` is the best hypothesis (weight: 1 minus the alternatives' share when they are
    probabilities, else the first alternative's weight); `alternatives` the others, best first,
    each with its weight."""
    best = matcher.resolve(text)
    if best.verdict is not Verdict.MATCH or best.match is None or not alternatives:
        return best
    alternatives = [(t, max(float(w), 0.0)) for t, w in alternatives[:MAX_HYPOTHESES]]
    rest = sum(w for _, w in alternatives)
    own = 1.0 - rest if rest < 1.0 else max((w for _, w in alternatives), default=1.0)
    total = own + rest
    if total <= 0:
        return best
    rivals: dict[str, tuple[float, Candidate]] = {}
    for other_text, weight in alternatives:
        other = matcher.resolve(other_text).match
        if other is None or other.extension == best.match.extension:
            continue
        share, _ = rivals.get(other.extension, (0.0, other))
        rivals[other.extension] = (share + weight / total, other)
    contested = sorted((c for share, c in rivals.values() if share >= CONFLICT_SHARE),
                       key=lambda c: -rivals[c.extension][0])
    if not contested:
        return best
    return Resolution(Verdict.AMBIGUOUS, None, (best.match, *contested))
