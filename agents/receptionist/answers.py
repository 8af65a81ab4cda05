"""Reading the caller's short answers: yes or no, which of two people, and which directory entry
is the reception."""

from __future__ import annotations

import re
from collections.abc import Sequence

from smartalex.domain.directory import Candidate, DirectoryEntry

RECEPTION_WORDS = ("reception", "receptionist", "operator", "front desk", "switchboard")
_YES = {"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "fine",
        "alright", "please"}
_NO = {"no", "nope", "nah", "don't", "not"}
# Words that carry no answer of their own: "yes please", "no thank you", "that would be great".
_FILLER = {"please", "thanks", "thank", "you", "that's", "that", "would", "be", "great", "go",
           "ahead", "oh", "um", "uh", "it", "is", "i", "i'd", "like", "that'd", "do", "it's",
           "fine", "good", "sounds", "hello", "hi", "well", "just"}
_ORDINALS = {"first": 0, "second": 1, "third": 2, "last": -1}
_NUMBERS = {"one": 0, "two": 1, "three": 2}   # "number two"; "the second one" is not 1 and 2


def find_reception(entries: list[DirectoryEntry]) -> DirectoryEntry | None:
    """The entry whose name or aliases say reception, operator or front desk."""
    for word in RECEPTION_WORDS:
        for entry in entries:
            texts = (entry.display_name, *entry.aliases)
            if any(re.search(rf"\b{word}\b", t.lower()) for t in texts):
                return entry
    return None


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def consent(text: str) -> bool | None:
    """True for yes, False for no; None when the answer is neither, both, or says more
    ("Sarah please" is a request, not a yes)."""
    words = _tokens(text)
    if words - _YES - _NO - _FILLER:
        return None
    yes, no = bool(words & (_YES - {"please"})), bool(words & _NO)
    if yes == no:
        return True if words == {"please"} else None
    return yes


# Share of the recogniser's other hypotheses that, reading yes where the best reads no (or the
# other way round, or an answer where the best reads a name), makes the answer unclear.
CONTRADICTION = 0.2


def consent_among(best: str, alternatives: Sequence[tuple[str, float]]) -> bool | None:
    """consent() of the recogniser's best hypothesis (all its words: a short answer has little
    to spare for the confidence filter), unless hypotheses carrying CONTRADICTION of the weight
    read the opposite answer."""
    answer = consent(best)
    if answer is None:
        return None
    against = sum(w for text, w in alternatives if consent(text) is (not answer))
    return answer if against < CONTRADICTION else None


def sounds_like_an_answer(alternatives: Sequence[tuple[str, float]]) -> bool:
    """Whether hypotheses carrying CONTRADICTION of the weight read as yes or no: then a name
    in the best one ("nope" heard as "Novak") is not to be trusted."""
    return sum(w for text, w in alternatives if consent(text) is not None) >= CONTRADICTION


def pick(text: str, candidates: tuple[Candidate, ...]) -> Candidate | None:
    """The candidate an answer to "Did you mean A or B?" names, by a word only it has, or by
    position ("the second one"); None if the answer does not single one out."""
    words = _tokens(text)
    own = []
    for cand in candidates:
        mine = _tokens(f"{cand.display_name} {cand.matched} {cand.extension}")
        others = set().union(*(_tokens(f"{c.display_name} {c.matched} {c.extension}")
                               for c in candidates if c is not cand))
        own.append(mine - others)
    named = [c for c, distinct in zip(candidates, own) if words & distinct]
    if len(named) == 1:
        return named[0]
    if not named:
        positions = ({_ORDINALS[w] for w in words if w in _ORDINALS}
                     or {_NUMBERS[w] for w in words if w in _NUMBERS})
        if len(positions) == 1:
            index = positions.pop()
            if -len(candidates) <= index < len(candidates):
                return candidates[index]
    return None
