"""Matching what a caller asks for ("put me through to billing") against a trunk's directory.

One `Matcher` per directory: `__init__` builds an index of every way to name an entry
(extension, full name, first name, surname, alias, nickname, and the concepts its aliases stand
for); `resolve(text)` scores the entries the request mentions and decides.

Scoring. Each way of naming an entry has a base weight (below); a misspelt word lowers it by
its similarity, a word only loosely similar ("weak") lowers it below the transfer threshold, so
it can be offered as a candidate but never transferred to. An entry's confidence is its best
hit plus a little for a second, independent hit ("Sarah *in accounts*"). A hit is ignored when
a complete longer phrase for another entry covers it ("Sarah Murphy" silences Sarah Chen's
"Sarah"; "human resources" silences "human" -> reception).

Deciding. A wrong transfer is worse than a question: MATCH only when the best entry reaches
MATCH_AT *and* leads the next by MARGIN; two close entries are AMBIGUOUS and nothing good
enough is NO_MATCH, both with candidates so the agent can ask ("Sarah Murphy or Sarah Chen?")
or offer reception. The weights were tuned on benchmarks/data/ (zero wrong transfers there is
a test); `benchmarks/directory_matcher.py` prints accuracy and latency.

No network and no model: rapidfuzz, a phonetic key, a stemmer and the hand-written word lists
in matching_vocabulary.py.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz, process

from . import matching_text as mt
from .directory import Candidate, DirectoryEntry, Resolution, Verdict
from .matching_vocabulary import (
    ACRONYM_COMPANIONS,
    COMMON_WORD_NAMES,
    CONCEPTS,
    DEPARTMENT_WORDS,
    NAME_SUFFIXES,
    NAME_TITLES,
    NICKNAMES,
    STOP_WORDS,
)

# Base weights: how much a complete, exactly heard hit of each kind says about the entry.
NUMBER, NAME, ALIAS, CONCEPT, FIRST, LAST, TRIGGER, WEAK_TRIGGER = (
    "number", "name", "alias", "concept", "first", "last", "trigger", "weak")
BASE = {NUMBER: 1.0, NAME: 1.0, ALIAS: 1.0, CONCEPT: 0.9, FIRST: 0.85, LAST: 0.85,
        TRIGGER: 0.85, WEAK_TRIGGER: 0.6}
UNCUED_NUMBER = 0.8       # "calling about 215" (no "extension" and other words around it)
MATCH_AT = 0.75           # transfer only at or above this confidence...
MARGIN = 0.1              # ...and this far ahead of the next entry
CANDIDATE_FLOOR = 0.35    # below this an entry is not worth offering
MAX_CANDIDATES = 5
SECOND_HIT_BONUS = 0.15   # share of an independent second hit added to the best one
WEAK_PENALTY = 0.75       # a loosely similar word: a candidate, never a transfer
LONELY_NAME = 0.8         # "Brian Kelly" -> Aoife Kelly? the unknown word next to it says no
COMMON_WORD_NAME = 0.7    # "I *will* pay my bill" is not a request for Will
SUGGEST = 0.7             # fuzzy similarity below which a word is not even a candidate
FUZZY_CAP = 0.9           # a misspelling never counts as much as the word itself
EXACT, SOUNDS_ALIKE, SAME_STEM = 1.0, 0.95, 0.9   # similarity of a word heard in these ways
CONCEPT_NAME_AT = 88      # fuzz.ratio at which an alias is taken to name a concept


def _strong_at(length: int) -> float:
    """Similarity a misspelt word needs to count fully, by length: 4 letters allow one
    insertion (Sara/Sarah), longer ones one or two slips (Murfy, bliling) but not making ~
    marketing or requirement ~ recruitment."""
    return 0.88 if length <= 4 else 0.8 if length <= 6 else 0.82


@dataclass(frozen=True)
class _Phrase:
    tokens: tuple[str, ...]
    kind: str
    targets: tuple[tuple[int, str], ...]   # (entry index, what to report as `matched`)
    fuzzy: bool                            # names and aliases tolerate misspellings


@dataclass(frozen=True)
class _Hit:
    entry: int
    matched: str
    confidence: float
    span: frozenset[int]    # positions of the request's words it used (numbers: negative)
    complete: bool          # every word of the phrase was heard


class Matcher:
    def __init__(self, entries: Sequence[DirectoryEntry]):
        self._entries = tuple(entries)
        self._by_extension = {e.extension.lower(): i for i, e in enumerate(self._entries)}
        grouped: dict[tuple[tuple[str, ...], str, bool], dict[int, str]] = defaultdict(dict)
        self._keep_words: set[str] = set()       # stop words that name someone here ("May")
        self._acronyms: set[str] = set()         # stop-word aliases such as "IT"
        self._index_entries(grouped)
        self._phrases = [_Phrase(tokens, kind, tuple(targets.items()), fuzzy)
                         for (tokens, kind, fuzzy), targets in grouped.items()]
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for p_index, phrase in enumerate(self._phrases):
            for position, token in enumerate(phrase.tokens):
                self._postings[token].append((p_index, position))
        self._by_key: dict[str, list[str]] = defaultdict(list)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        for token in self._postings:
            self._by_key[mt.phonetic(token)].append(token)
            self._by_stem[mt.stem(token)].append(token)
        fuzzy = sorted({t for p in self._phrases if p.fuzzy for t in p.tokens if len(t) >= 4})
        self._fuzzy_words = fuzzy
        self._fuzzy_keys = sorted({mt.phonetic(t) for t in fuzzy})
        self._fuzzy_by_key = defaultdict(list)
        for token in fuzzy:
            self._fuzzy_by_key[mt.phonetic(token)].append(token)
        self._lookups: dict[str, dict[str, tuple[float, bool, bool]]] = {}

    # --- index ---------------------------------------------------------------------------------

    def _index_entries(self, grouped) -> None:
        people = {i: name for i, e in enumerate(self._entries)
                  if (name := _person_name(e.display_name)) is not None}
        name_parts = {w for ws, _ in people.values() for w in (ws[0], ws[-1])}
        self._keep_words = {w for ws, _ in people.values() for w in ws} & STOP_WORDS
        carriers: dict[str, dict[int, str]] = defaultdict(dict)   # concept -> entry -> label
        for i, entry in enumerate(self._entries):
            if i in people:
                self._index_person(grouped, i, entry.display_name, *people[i])
            else:
                _add(grouped, _content(entry.display_name), NAME, i, entry.display_name)
                _carry(carriers, i, entry.display_name, _content(entry.display_name))
            for alias in entry.aliases:
                tokens = _content(alias)
                if not tokens:   # "IT": a stop word, matched only where it reads as a name
                    tokens = tuple(_words(alias))
                    self._acronyms.update(tokens)
                kind = FIRST if len(tokens) == 1 and tokens[0] in name_parts else ALIAS
                _add(grouped, tokens, kind, i, alias)
                _carry(carriers, i, alias, tokens)
        for concept, entries in carriers.items():
            for i, label in entries.items():
                for kind, tokens in _CONCEPT_PHRASES[concept]:
                    _add(grouped, tokens, kind, i, label)

    @staticmethod
    def _index_person(grouped, i: int, display: str, ws: list[str], parts: list[str]) -> None:
        _add(grouped, tuple(ws), NAME, i, display)
        _add(grouped, (ws[0],), FIRST, i, parts[0])
        _add(grouped, (ws[-1],), LAST, i, parts[-1])
        for nick in NICKNAMES.get(ws[0], ()):
            _add(grouped, (nick, *ws[1:]), NAME, i, display)
            _add(grouped, (nick,), FIRST, i, parts[0])

    # --- resolving -----------------------------------------------------------------------------

    def resolve(self, text: str) -> Resolution:
        said = mt.words(text or "")
        sentence = [w.text for w in said]
        skip = mt.self_introduction(sentence)
        runs = mt.number_runs(sentence)
        skip |= {k for run in runs for k in range(run.start, run.end)}
        content = [w.text for k, w in enumerate(said)
                   if k not in skip and (w.text not in STOP_WORDS or self._keeps(said, k))]
        if not content and not runs:
            return Resolution(Verdict.EMPTY, None, ())
        hits = self._number_hits(runs, alone=not content) + self._word_hits(content)
        return self._decide(hits)

    def _keeps(self, said: list[mt.Word], k: int) -> bool:
        word = said[k].text
        if word in self._keep_words:
            return True
        if word not in self._acronyms:
            return False
        before = said[k - 1].text if k else ""
        after = said[k + 1].text if k + 1 < len(said) else ""
        return said[k].acronym or after in ACRONYM_COMPANIONS or (
            before in ("to", "the") and after in ("", "please", "thanks", "thank"))

    def _number_hits(self, runs: list[mt.NumberRun], alone: bool) -> list[_Hit]:
        hits = []
        for run in runs:
            entry = next((self._by_extension[r] for r in run.readings
                          if r in self._by_extension), None)
            if entry is not None and not run.excluded:
                weight = BASE[NUMBER] if run.cued or alone else UNCUED_NUMBER
                hits.append(_Hit(entry, self._entries[entry].extension, weight,
                                 frozenset({-1 - run.start}), True))
        return hits

    def _word_hits(self, content: list[str]) -> list[_Hit]:
        units = [(frozenset({k}), w, True) for k, w in enumerate(content)]
        units += [(frozenset({k, k + 1}), a + b, False)          # "fitz gerald"
                  for k, (a, b) in enumerate(zip(content, content[1:])) if (a + b).isalpha()]
        options: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        explained: set[int] = set()
        for span, word, single in units:
            for token, (sim, strong, fuzzy) in self._lookup(word).items():
                if not single and not strong:
                    continue
                explained |= span
                for p_index, position in self._postings[token]:
                    if fuzzy and not self._phrases[p_index].fuzzy:
                        continue
                    options[p_index][position].append((sim, strong, span))
        hits = []
        for p_index, by_position in options.items():
            phrase = self._phrases[p_index]
            if BASE[phrase.kind] * len(by_position) / len(phrase.tokens) < CANDIDATE_FLOOR:
                continue   # a sliver of a long phrase: not even a candidate
            sims, strong, span = _align(len(phrase.tokens), by_position)
            score = BASE[phrase.kind] * sum(sims) / len(phrase.tokens)
            if not strong:
                score *= WEAK_PENALTY
            if phrase.kind in (FIRST, LAST):
                score *= self._name_doubt(phrase, span, content, explained)
            complete = all(sims)
            for entry, matched in phrase.targets:
                hits.append(_Hit(entry, matched, score, span, complete))
        return hits

    @staticmethod
    def _name_doubt(phrase: _Phrase, span: frozenset[int], content: list[str],
                    explained: set[int]) -> float:
        factor = 1.0
        if phrase.tokens[0] in COMMON_WORD_NAMES and len(content) > 1:
            factor *= COMMON_WORD_NAME
        neighbour = max(span) + 1 if phrase.kind == FIRST else min(span) - 1
        if 0 <= neighbour < len(content) and neighbour not in explained:
            factor *= LONELY_NAME
        return factor

    def _lookup(self, word: str) -> dict[str, tuple[float, bool, bool]]:
        """Directory words that `word` may be: {token: (similarity, strong, fuzzy)}; `fuzzy`
        marks a misspelling, which only names and aliases accept."""
        found = self._lookups.get(word)
        if found is not None:
            return found
        found = {}
        if word in self._postings:
            found[word] = (EXACT, True, False)
        for sim, index, key in ((SOUNDS_ALIKE, self._by_key, mt.phonetic(word)),
                                (SAME_STEM, self._by_stem, mt.stem(word))):
            for token in index.get(key, ()):
                found.setdefault(token, (sim, True, False))
        if len(word) >= 4 and word.isalpha():
            scored: dict[str, tuple[float, bool]] = {}
            for token, score, _ in process.extract(word, self._fuzzy_words, scorer=fuzz.ratio,
                                                   score_cutoff=SUGGEST * 100, limit=None):
                sim = score / 100
                scored[token] = (sim, sim >= _strong_at(max(len(word), len(token))))
            key = mt.phonetic(word)
            for other, score, _ in process.extract(key, self._fuzzy_keys, scorer=fuzz.ratio,
                                                   score_cutoff=SUGGEST * 100 / 0.97, limit=None):
                # Lengths of the sound keys decide: "jon" ~ "joan" is one slip in four letters.
                sim = 0.97 * score / 100
                strong = sim >= _strong_at(max(len(key), len(other)))
                for token in self._fuzzy_by_key[other]:
                    was = scored.get(token, (0.0, False))
                    scored[token] = (max(was[0], sim), was[1] or strong)
            for token, (sim, strong) in scored.items():
                # A word is not a misspelling of a much longer one (services/servicedesk).
                if token not in found and sim >= SUGGEST and abs(len(token) - len(word)) <= 2:
                    found[token] = (min(sim, FUZZY_CAP), strong, True)
        if len(self._lookups) > 50_000:
            self._lookups.clear()
        self._lookups[word] = found
        return found

    def _decide(self, hits: list[_Hit]) -> Resolution:
        covering = [g for g in hits if g.complete and len(g.span) > 1]
        hits = [h for h in hits if not any(
            g.entry != h.entry and h.span < g.span and g.confidence >= h.confidence
            for g in covering)]
        by_entry: dict[int, list[_Hit]] = defaultdict(list)
        for hit in hits:
            by_entry[hit.entry].append(hit)
        ranked = []
        for entry, own in by_entry.items():
            best = max(own, key=lambda h: h.confidence)
            other = max((h.confidence for h in own if not h.span & best.span), default=0.0)
            confidence = min(1.0, best.confidence + SECOND_HIT_BONUS * other)
            if confidence >= CANDIDATE_FLOOR:
                e = self._entries[entry]
                ranked.append(Candidate(e.extension, e.display_name, best.matched,
                                        round(confidence, 3)))
        ranked.sort(key=lambda c: (-c.confidence, c.extension))
        if not ranked or ranked[0].confidence < MATCH_AT:
            return Resolution(Verdict.NO_MATCH, None, tuple(ranked[:3]))
        top = ranked[0]
        close = [c for c in ranked[1:] if round(top.confidence - c.confidence, 6) < MARGIN]
        if close:
            return Resolution(Verdict.AMBIGUOUS, None, tuple([top, *close][:MAX_CANDIDATES]))
        return Resolution(Verdict.MATCH, top, tuple(ranked[:3]))


def _words(text: str) -> list[str]:
    return [w.text for w in mt.words(text)]


def _content(text: str) -> tuple[str, ...]:
    return tuple(w for w in _words(text) if w not in STOP_WORDS)


def _person_name(display_name: str) -> tuple[list[str], list[str]] | None:
    """A person's name as (normalised words, written words), without titles ("Dr.") and
    suffixes ("Jr"); None for departments, rooms and anything named like a concept."""
    written = display_name.split()
    while written and "".join(_words(written[0])) in NAME_TITLES:
        written.pop(0)
    while written and "".join(_words(written[-1])) in NAME_SUFFIXES:
        written.pop()
    ws = _words(" ".join(written))
    if len(ws) < 2 or any(w in DEPARTMENT_WORDS for w in ws) or any(w.isdigit() for w in ws):
        return None
    if process.extractOne(" ".join(ws), _CONCEPT_NAMES, scorer=fuzz.ratio,
                          score_cutoff=CONCEPT_NAME_AT) is not None:
        return None
    return ws, written


def _carry(carriers, entry: int, label: str, tokens: tuple[str, ...]) -> None:
    """Record the concepts an alias or department name stands for ("accounts" -> billing)."""
    text = " ".join(tokens)
    if not text:
        return
    for _, _, k in process.extract(text, _CONCEPT_NAMES, scorer=fuzz.ratio, limit=None,
                                   score_cutoff=CONCEPT_NAME_AT):
        carriers[_CONCEPT_OF_NAME[k]].setdefault(entry, label)


def _add(grouped, tokens: tuple[str, ...], kind: str, entry: int, matched: str) -> None:
    """Index a phrase. The directory's own names and aliases tolerate misspellings; concept
    names and triggers are everyday words (patients is not a misspelt payments) and, like
    run-together forms ("help desk" said as "helpdesk"), must be heard as written."""
    if not tokens:
        return
    grouped[(tokens, kind, kind in (NAME, FIRST, LAST, ALIAS))].setdefault(entry, matched)
    if len(tokens) == 2 and kind not in (NAME, WEAK_TRIGGER):
        grouped[((tokens[0] + tokens[1],), kind, False)].setdefault(entry, matched)


def _align(length: int, by_position: dict[int, list]) -> tuple[list[float], bool, frozenset]:
    """Best non-overlapping choice of the request's words for the phrase's words, preferring
    adjacent ones; a phrase word not heard scores 0."""
    if len(by_position) == 1:     # the common case: one word of the phrase was heard
        ((position, heard),) = by_position.items()
        sim, strong, span = max(heard, key=lambda o: o[0])
        return [sim if p == position else 0.0 for p in range(length)], strong, span
    choices = [sorted(by_position.get(p, []), key=lambda o: -o[0])[:3] + [None]
               for p in range(length)]
    best, best_key = None, None
    for combo in itertools.product(*choices):
        picked = [o for o in combo if o is not None]
        spans = [o[2] for o in picked]
        used = frozenset().union(*spans) if spans else frozenset()
        if not picked or len(used) != sum(len(s) for s in spans):
            continue
        total = sum(o[0] for o in picked)
        key = (round(total, 6), -(max(used) - min(used)))
        if best_key is None or key > best_key:
            best, best_key = combo, key
    sims = [o[0] if o else 0.0 for o in best]
    strong = all(o[1] for o in best if o)
    return sims, strong, frozenset().union(*(o[2] for o in best if o))



# The concept table, normalised once: every concept name (for `_carry`) and every phrase a
# concept indexes for the entries that carry it.
_CONCEPT_NAMES: list[str] = []
_CONCEPT_OF_NAME: list[str] = []
_CONCEPT_PHRASES: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
for _key, _concept in CONCEPTS.items():
    for _name in _concept.names:
        _CONCEPT_NAMES.append(" ".join(_content(_name) or _words(_name)))   # "IT" too
        _CONCEPT_OF_NAME.append(_key)
    _CONCEPT_PHRASES[_key] = [(kind, _content(phrase)) for kind, phrases in (
        (CONCEPT, _concept.names), (TRIGGER, _concept.strong), (WEAK_TRIGGER, _concept.weak))
        for phrase in phrases]
