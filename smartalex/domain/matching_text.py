"""Text handling for directory matching: words out of what speech recognition wrote, spoken
extension numbers, the caller introducing themselves, and cheap phonetic and stem keys for
fuzzy lookups. Pure functions."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .matching_vocabulary import NUMBER_AFTER, NUMBER_BEFORE, NUMBER_CUES, STOP_WORDS


@dataclass(frozen=True)
class Word:
    text: str          # lower case, letters or digits only
    acronym: bool      # written "IT", "I.T." or spelled "i t": may be an alias like IT


_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_APOSTROPHE = "'’‘`"
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_WORD = re.compile(r"[A-Za-z]+|\d+")


def words(text: str) -> list[Word]:
    """"Can I get the I.T. dept?" -> can i get the it(acronym) dept; "x215" -> x 215."""
    if not text.isascii():      # Seán -> Sean, Müller -> Muller
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    shouting = text.upper() == text  # all capitals: capitals say nothing about acronyms
    text = _DOTTED.sub(lambda m: " " + m.group().replace(".", "").upper() + " ", text)
    text = re.sub(f"[{_APOSTROPHE}]s\\b", "", text)     # Sarah's -> Sarah, it's -> it
    text = re.sub(f"[{_APOSTROPHE}]", "", text)         # O'Brien -> OBrien, isn't -> isnt
    text = _LETTER_DIGIT.sub(" ", text.replace("&", " and "))
    found = [Word(w.lower(), not shouting and w.isupper() and 2 <= len(w) <= 5)
             for w in _WORD.findall(text)]
    return _join_spelled_letters(found)


def _join_spelled_letters(found: list[Word]) -> list[Word]:
    """ASR spells acronyms letter by letter: "h r" -> "hr". "i" and "a" alone stay words."""
    out: list[Word] = []
    i = 0
    while i < len(found):
        j = i
        while j < len(found) and len(found[j].text) == 1 and found[j].text.isalpha():
            j += 1
        run = found[i:j]
        if len(run) >= 2 and not all(w.text in "ai" for w in run):
            out.append(Word("".join(w.text for w in run), True))
            i = j
        else:
            out.append(found[i])
            i += 1
    return out


# --- spoken numbers ---------------------------------------------------------------------------

UNITS = {"zero": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4,
         "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
        "seventy": 70, "eighty": 80, "ninety": 90}
ZEROS = {"oh", "o"}           # "three oh one"; alone, "oh" is an interjection
REPEATS = {"double": 2, "triple": 3}
SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORDS = set(UNITS) | set(TEENS) | set(TENS) | ZEROS | set(REPEATS) | set(SCALES)


@dataclass(frozen=True)
class NumberRun:
    start: int                  # index of the first word in the sentence
    end: int                    # index after the last word
    readings: tuple[str, ...]   # digit strings, most literal first: "oh two one five" -> 0215, 215
    cued: bool                  # "extension 215", "x215", "dial 215"
    excluded: bool              # "order 4471", "302 euros": not an extension


def number_runs(sentence: list[str]) -> list[NumberRun]:
    runs = []
    i = 0
    while i < len(sentence):
        if not _is_number_word(sentence, i):
            i += 1
            continue
        j = i
        while j < len(sentence) and _is_number_word(sentence, j):
            j += 1
        run = sentence[i:j]
        if not all(t in ZEROS or t in REPEATS for t in run):
            readings = [r for r in (_spell(run), _spell(_drop_leading_zeros(run))) if r]
            if readings:
                runs.append(NumberRun(i, j, tuple(dict.fromkeys(readings)),
                                      _cued(sentence, i), _excluded(sentence, i, j)))
        i = j
    return runs


def _is_number_word(sentence: list[str], i: int) -> bool:
    t = sentence[i]
    if t.isdigit() or t in _NUMBER_WORDS:
        return True
    nxt = sentence[i + 1] if i + 1 < len(sentence) else ""
    prev = sentence[i - 1] if i > 0 else ""
    if t == "a":      # "a hundred"
        return nxt in SCALES
    if t == "and":    # "three hundred and one"
        return prev in SCALES and (nxt in UNITS or nxt in TEENS or nxt in TENS)
    return False


def _drop_leading_zeros(run: list[str]) -> list[str]:
    k = 0
    while k < len(run) - 1 and run[k] in ZEROS:
        k += 1
    return run[k:]


def _cued(sentence: list[str], start: int) -> bool:
    before = sentence[max(0, start - 2):start]
    return bool(before) and (before[-1] in NUMBER_CUES or (
        len(before) == 2 and before[0] in NUMBER_CUES and before[1] in ("number", "no")))


def _excluded(sentence: list[str], start: int, end: int) -> bool:
    """"order number is 4471", "invoice 3350", "302 euros": a number, but not an extension."""
    after = sentence[end] if end < len(sentence) else ""
    if after in NUMBER_AFTER:
        return True
    for word in reversed(sentence[max(0, start - 3):start]):
        if word in NUMBER_CUES:
            return False
        if word in NUMBER_BEFORE:
            return True
    return False


def _spell(run: list[str]) -> str | None:
    """Digits as a caller reads them: "two fifteen" -> 215, "three oh one" -> 301,
    "two hundred and fifteen" -> 215, "double two" -> 22."""
    out: list[str] = []
    i = 0
    while i < len(run):
        t = run[i]
        if t.isdigit():
            out.append(t)
            i += 1
        elif t in ZEROS:
            out.append("0")
            i += 1
        elif t in REPEATS:
            nxt = run[i + 1] if i + 1 < len(run) else ""
            digit = nxt if nxt.isdigit() and len(nxt) == 1 else (
                "0" if nxt in ZEROS else str(UNITS[nxt]) if nxt in UNITS else None)
            if digit is None:
                return None
            out.append(digit * REPEATS[t])
            i += 2
        else:
            value, i = _cardinal(run, i)
            if value is None:
                return None
            out.append(str(value))
    return "".join(out) or None


def _cardinal(run: list[str], i: int) -> tuple[int | None, int]:
    """One spoken cardinal below 10,000 starting at run[i]; (None, i) if there is none."""
    total = 0
    t = run[i]
    for scale_word, scale in (("thousand", 1000), ("hundred", 100)):
        head = 1 if t == "a" else UNITS.get(t)
        if head is not None and i + 1 < len(run) and run[i + 1] == scale_word:
            total += head * scale
            i += 2
            if i < len(run) and run[i] == "and":
                i += 1
            if i >= len(run):
                return total, i
            t = run[i]
    if t in TEENS:
        return total + TEENS[t], i + 1
    if t in TENS:
        value = TENS[t]
        if i + 1 < len(run) and run[i + 1] in UNITS and UNITS[run[i + 1]] > 0:
            return total + value + UNITS[run[i + 1]], i + 2
        return total + value, i + 1
    if t in UNITS:
        return total + UNITS[t], i + 1
    if total:
        return total, i
    return None, i


# --- who is speaking ------------------------------------------------------------------------

INTRO_END = frozenset({"from", "calling", "here", "speaking"})


def self_introduction(sentence: list[str]) -> set[int]:
    """Words naming the caller, not the callee: "this is Sarah from Acme", "my name is David"."""
    skip: set[int] = set()
    for k in range(len(sentence)):
        for opener, needs_end in ((("my", "name", "is"), False), (("this", "is"), True),
                                  (("im",), True), (("i", "am"), True)):
            if tuple(sentence[k:k + len(opener)]) != opener:
                continue
            start = k + len(opener)
            names = list(itertools.takewhile(lambda w: w not in STOP_WORDS,
                                             sentence[start:start + 2]))
            end = start + len(names)
            if names and (not needs_end or (end < len(sentence) and sentence[end] in INTRO_END)):
                skip.update(range(start, end))
    return skip


# --- keys for fuzzy lookups -------------------------------------------------------------------

_PHONETIC = (
    (re.compile(r"[ts]ion"), "shun"), (re.compile(r"ph"), "f"), (re.compile(r"ck"), "k"),
    (re.compile(r"tch"), "ch"), (re.compile(r"dg"), "j"), (re.compile(r"^wr"), "r"),
    (re.compile(r"^[kg]n"), "n"), (re.compile(r"qu"), "kw"), (re.compile(r"q"), "k"),
    (re.compile(r"x"), "ks"), (re.compile(r"c(?=[eiy])"), "s"), (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"z"), "s"), (re.compile(r"(?:ey|ie)$"), "i"), (re.compile(r"(?<=.)y"), "i"),
    (re.compile(r"(?<=[aeiou])h(?![aeiou])"), ""), (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"(?<=...)e$"), ""),
)


@lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """A rough English sound key: Murphy ~ Murfy, Sarah ~ Sara, Smyth ~ Smith, Kelley ~ Kelly,
    billing ~ biling, reception ~ recepshun. Digits and very short words are left alone."""
    if len(word) <= 2 or not word.isalpha():
        return word
    for pattern, replacement in _PHONETIC:
        word = pattern.sub(replacement, word)
    return word


_SUFFIXES = (("ies", "y"), ("ings", ""), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", ""))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Crude suffix stripping so charged ~ charge ~ charges, invoices ~ invoice and
    bookings ~ book."""
    if not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if len(word) >= 2 and word[-1] == word[-2]:
        word = word[:-1]
    return word
