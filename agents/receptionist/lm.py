"""What callers say to a receptionist of one directory: each entry named in the usual request
phrasings, common departments, answers and digits. The recogniser may write only these words
(stt.build_model), and these helpers turn what it wrote into what the matcher reads (digits,
acronyms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from smartalex.domain.directory import DirectoryEntry

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_DIGIT_OF = {word: str(i) for i, word in enumerate(DIGIT_WORDS)} | {"oh": "0"}

# How callers ask for someone; "{}" is the person, department or extension.
REQUEST_TEMPLATES = (
    "{}", "{} please", "hello {}", "hi {} please",
    "put me through to {}", "put me through to {} please", "can you put me through to {}",
    "could you put me through to {} please", "can i speak to {}", "can i speak to {} please",
    "can i speak with {}", "could i speak to {} please", "i'd like to speak to {}",
    "i'd like to talk to {}", "i'd like to talk to {} please", "i want to talk to {}",
    "i need to speak to {}", "i need to speak with {}", "connect me to {}", "connect me with {}",
    "transfer me to {}", "i'm looking for {}", "i'm calling for {}", "is {} available",
    "i'm trying to reach {}", "get me {}", "i'd like {} please", "hi can i speak to {} please",
    "hello i'd like to talk to {}", "yes {} please",
)
# Departments callers often ask for even when the directory has none by that name: better to
# hear "sales" and answer "no match" than to force the words onto someone's name.
COMMON_TARGETS = (
    "billing", "support", "technical support", "customer service", "sales", "accounts",
    "accounts payable", "marketing", "human resources", "h r", "i t", "the manager",
    "a manager", "someone", "reception", "the operator", "the front desk", "the office",
    "the billing department", "the support department", "the sales department",
    "the accounts department", "finance", "payroll", "shipping", "orders",
)
# Answers to the receptionist's questions ("Did you mean A or B?", "Shall I put you through
# to reception?").
ANSWERS = (
    "yes", "yes please", "yeah", "yep", "sure", "okay", "ok", "that's right", "correct",
    "yes that's right", "no", "no thanks", "no thank you", "nope", "the first one",
    "the second one", "the third one", "the first", "the second", "hello", "hello hello",
    "sorry", "pardon", "i don't know", "thank you", "thanks",
)

_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
_ACRONYM = re.compile(r"[A-Z]{2,4}")


def words(text: str) -> list[str]:
    """Lower-case words as a caller says them: digits and acronyms spelled out
    ("Team 2" -> team two, "IT support" -> i t support; callers say "I T", not "it")."""
    text = text.replace("&", " and ").replace("’", "'")
    out: list[str] = []
    for token in _WORD.findall(text):
        if token.isdigit():
            out.extend(DIGIT_WORDS[int(d)] for d in token)
        elif _ACRONYM.fullmatch(token):
            out.extend(token.lower())
        else:
            out.append(token.lower())
    return out


def acronyms(entries: Iterable[DirectoryEntry]) -> dict[str, str]:
    """Acronyms in names and aliases, by their spelled letters: {"h r": "HR", "i t": "IT"}."""
    found: dict[str, str] = {}
    for entry in entries:
        for text in (entry.display_name, *entry.aliases):
            for token in _WORD.findall(text):
                if _ACRONYM.fullmatch(token):
                    found[" ".join(token.lower())] = token
    return found


def join_acronyms(text: str, known: dict[str, str]) -> str:
    """Spelled letters back into the directory's acronym: "h r please" -> "HR please"."""
    for spelled, acronym in sorted(known.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<!\S){re.escape(spelled)}(?!\S)", acronym, text)
    return text


def spoken_targets(entry: DirectoryEntry) -> list[list[str]]:
    """The ways a caller may name an entry: full name, first name, last name, aliases."""
    targets = [words(entry.display_name)]
    name = targets[0]
    if len(name) >= 2:
        targets += [name[:1], name[-1:]]
    for alias in entry.aliases:
        targets.append(words(alias))
    targets.append(["extension", *words(entry.extension)])
    targets.append(words(entry.extension))
    unique: list[list[str]] = []
    for target in targets:
        if target and target not in unique:
            unique.append(target)
    return unique


def vocabulary(entries: Sequence[DirectoryEntry]) -> set[str]:
    """Every word of: each entry in each request phrasing, common departments, answers, and
    "extension" with digits (so any extension number can be said)."""
    found = {"extension", "oh", *DIGIT_WORDS}
    phrases = [t.format(" ".join(target)) for entry in entries
               for target in spoken_targets(entry) for t in REQUEST_TEMPLATES]
    phrases += [t.format(p) for p in COMMON_TARGETS for t in REQUEST_TEMPLATES[:2]]
    for phrase in (*phrases, *ANSWERS):
        found.update(words(phrase))
    return found


def digits_in(text: str) -> str:
    """Spoken digit runs as numerals: "extension two one five" -> "extension 215".

    A run of two or more digit words becomes a number; so does a single digit word right after
    "extension" or "number". Other words are kept as they are.
    """
    tokens = text.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j] in _DIGIT_OF:
            j += 1
        after_cue = bool(out) and out[-1] in ("extension", "number")
        if j - i >= 2 or (j - i == 1 and after_cue):
            out.append("".join(_DIGIT_OF[t] for t in tokens[i:j]))
            i = j
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)
