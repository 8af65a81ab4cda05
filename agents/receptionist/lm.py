"""A small language model for one directory: the sentences callers say to a receptionist,
estimated as a backoff bigram model and written in ARPA format for pocketsphinx.

docs/measurements/offline-speech.md: pocketsphinx's general English LM is poor on phone requests; a small LM built from
the directory's names and aliases plus common request phrases cut word errors to 4-26 %.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from smartalex.domain.directory import DirectoryEntry

START, END = "<s>", "</s>"
# Any everyday word: a placeholder in the corpus, replaced by the common words when the model is
# written (BigramModel.expand). Without it the model can only hear the directory and request
# phrases, so "Michael Brown please" (nobody here) is forced onto the nearest name.
OTHER = "<other>"
COMMON_WORDS = Path(__file__).resolve().parent / "data" / "common_words.txt"

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
# hear "sales" and answer "no match" than to force the words onto someone's name. Said only
# bare or with "please": in more phrasings they crowded out the directory's own words (on the
# tuning set, "facilities" and "sales" were heard as "billing").
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


def corpus(entries: Sequence[DirectoryEntry], other_weight: int = 0) -> list[list[str]]:
    """Training sentences: each entry in each request template, generic departments and
    answers, and every pair of digits (so any extension number can be said). With
    `other_weight`, also requests for someone else and free speech in everyday words (OTHER),
    each that many times."""
    sentences: list[list[str]] = []
    for _ in range(other_weight):
        sentences += [t.format(OTHER).split() for t in REQUEST_TEMPLATES]
        sentences += [[OTHER] * n for n in range(1, 6)]
    for entry in entries:
        for target in spoken_targets(entry):
            phrase = " ".join(target)
            sentences += [words(t.format(phrase)) for t in REQUEST_TEMPLATES]
    for phrase in COMMON_TARGETS:   # bare, or "... please": tuned down from 8 phrasings,
        sentences += [words(t.format(phrase)) for t in REQUEST_TEMPLATES[:2]]  # see COMMON_TARGETS
    sentences += [words(answer) for answer in ANSWERS]
    for a in (*DIGIT_WORDS, "oh"):
        for b in DIGIT_WORDS:
            sentences.append(["extension", a, b])
            sentences.append([a, b])
    return sentences


@dataclass(frozen=True)
class BigramModel:
    """A backoff bigram model: log10 probabilities and backoff weights, ready for ARPA."""

    unigrams: dict[str, tuple[float, float]]        # word -> (log10 p, log10 backoff)
    bigrams: dict[tuple[str, str], float]           # (history, word) -> log10 p

    @property
    def vocabulary(self) -> set[str]:
        return set(self.unigrams) - {START, END}

    def to_arpa(self) -> str:
        lines = ["\\data\\", f"ngram 1={len(self.unigrams)}", f"ngram 2={len(self.bigrams)}",
                 "", "\\1-grams:"]
        for word in sorted(self.unigrams):
            prob, backoff = self.unigrams[word]
            # </s> never starts a bigram, so it has no backoff weight.
            lines.append(f"{prob:.6f} {word}" + ("" if word == END else f" {backoff:.6f}"))
        lines += ["", "\\2-grams:"]
        lines += [f"{prob:.6f} {h} {w}" for (h, w), prob in sorted(self.bigrams.items())]
        lines += ["", "\\end\\", ""]
        return "\n".join(lines)

    def expand(self, token: str, members: Mapping[str, float]) -> BigramModel:
        """The model with `token` (a class such as OTHER) replaced by its member words, each
        as likely as the class times its share of `members` and followed as the class is.
        Members already in the model are skipped. One member after another (the class after
        itself) is left to the backoff, or the model would list every pair of members; the
        class's backoff weight is recomputed so that every history still sums to 1."""
        if token not in self.unigrams:
            return self
        members = {w: p for w, p in members.items() if w not in self.unigrams and p > 0}
        scale = sum(members.values())
        share = {w: math.log10(p / scale) for w, p in members.items()}
        prob, _ = self.unigrams[token]
        unigrams = {w: u for w, u in self.unigrams.items() if w != token}
        unigrams.update({w: (prob + s, 0.0) for w, s in share.items()})
        bigrams: dict[tuple[str, str], float] = {}
        followers: dict[str, float] = {}
        for (h, w), logp in self.bigrams.items():
            if h == token:
                if w != token:
                    followers[w] = logp
            elif w == token:
                bigrams.update({(h, m): logp + s for m, s in share.items()})
            else:
                bigrams[(h, w)] = logp
        seen = sum(10 ** p for p in followers.values())
        seen_unigram = sum(10 ** unigrams[w][0] for w in followers)
        backoff = math.log10(max(1.0 - seen, 1e-12) / max(1.0 - seen_unigram, 1e-12))
        for m in share:
            unigrams[m] = (unigrams[m][0], backoff)
            bigrams.update({(m, w): logp for w, logp in followers.items()})
        return BigramModel(unigrams, bigrams)

    def prob(self, word: str, history: str) -> float:
        """P(word | history) as a probability (not a log), backing off as a decoder does."""
        if (history, word) in self.bigrams:
            return 10 ** self.bigrams[(history, word)]
        return 10 ** (self.unigrams[history][1] + self.unigrams[word][0])


def estimate(sentences: Iterable[Sequence[str]], discount: float = 0.5,
             unigram_floor: float = 0.5) -> BigramModel:
    """Absolute discounting with backoff to an add-`unigram_floor` unigram distribution.

    Each history gives up `discount` per distinct successor; that mass goes to the unseen
    successors in proportion to their unigram probability (the backoff weight normalises it),
    so every conditional distribution sums to 1.
    """
    unigram_counts: Counter[str] = Counter()
    bigram_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for sentence in sentences:
        tokens = [START, *sentence, END]
        unigram_counts.update(tokens[1:])
        for h, w in zip(tokens, tokens[1:]):
            bigram_counts[h][w] += 1
    if not unigram_counts:
        raise ValueError("no sentences to estimate a language model from")
    vocab = sorted(unigram_counts)  # every predictable word (not <s>)
    total = sum(unigram_counts.values()) + unigram_floor * len(vocab)
    p1 = {w: (unigram_counts[w] + unigram_floor) / total for w in vocab}

    unigrams: dict[str, tuple[float, float]] = {}
    bigrams: dict[tuple[str, str], float] = {}
    for h in [START, *vocab]:
        successors = bigram_counts.get(h)
        backoff = 1.0
        if successors:
            count = sum(successors.values())
            seen_mass = 0.0
            for w, c in successors.items():
                p = (c - discount) / count
                bigrams[(h, w)] = math.log10(p)
                seen_mass += p1[w]
            left = discount * len(successors) / count
            unseen = 1.0 - seen_mass
            backoff = left / unseen if unseen > 1e-9 else 1.0
        prob = -99.0 if h == START else math.log10(p1[h])
        unigrams[h] = (prob, math.log10(backoff))
    return BigramModel(unigrams, bigrams)


@functools.cache
def common_words() -> tuple[str, ...]:
    """Everyday English words, most frequent first (data/common_words.txt)."""
    lines = COMMON_WORDS.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


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
