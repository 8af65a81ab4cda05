"""Speech to text with pocketsphinx's bundled English model and a per-directory language model.

The wheel's acoustic model is 16 kHz, so telephone audio (8 kHz μ-law) is decoded to linear and
upsampled 2x first. The language model and a small pronunciation dictionary are built from the
trunk's directory when a call starts (lm.py, lexicon.py) and cached by directory content, so
only the first call after a directory change pays for it.

pocketsphinx holds the GIL while it decodes (measured: decoding an 8 s utterance in a thread
stalled the event loop for about 300 ms), which would stutter every call's prompt audio. The server
therefore builds and decodes in worker processes (SpeechService); Recognizer and ModelBuilder
are the same work in-process, for tools and tests.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import importlib
import math
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
from aws_lambda_powertools import Logger

from smartalex.domain.directory import DirectoryEntry

from . import lexicon, lm
from .audio import upsample_2x

logger = Logger(service="receptionist", child=True)

_ALTERNATE = re.compile(r"\(\d+\)$")   # "to(2)": the dictionary's second pronunciation of "to"
# How many times the corpus says "anything else" (lm.OTHER) in each request template: tuned on
# agents/receptionist/data/tuning.json, it halved wrong transfers without costing right ones.
OTHER_WEIGHT = 3
NBEST = 10                # hypotheses read from the lattice
# Hypothesis weights are exp(score difference / NBEST_TEMPERATURE), the lattice path scores in
# nats; tuned together with resolve_hypotheses' CONFLICT_SHARE.
NBEST_TEMPERATURE = 0.2


@dataclass(frozen=True)
class SpeechModel:
    """A directory's language model and dictionary, as files pocketsphinx loads."""

    key: str
    lm_path: str
    dict_path: str
    vocabulary: frozenset[str]
    dropped: tuple[str, ...]  # words left out for want of a pronunciation


@dataclass(frozen=True)
class Transcript:
    words: tuple[tuple[str, float], ...]   # (lower-case word, posterior probability 0..1)
    audio_seconds: float
    decode_seconds: float
    # The recogniser's other hypotheses (n-best), best first, with their share of the n-best's
    # weight; the best hypothesis's own share is what they leave.
    alternatives: tuple[tuple[str, float], ...] = ()

    @property
    def text(self) -> str:
        """Every word of the best hypothesis."""
        return " ".join(word for word, _ in self.words)

    def confident_text(self, min_confidence: float) -> str:
        """Only the words the decoder was fairly sure of. A name the language model slipped
        into a gap ("speak to someone hello aoife", posterior 0.01) is dropped, so the matcher
        asks again instead of transferring to the wrong person. A number loses all its digits
        if it loses one: "two [one] five" must not become extension 25."""
        keep = [p >= min_confidence for _, p in self.words]
        digit = [word in lm.DIGIT_WORDS or word == "oh" for word, _ in self.words]
        for i in range(len(self.words)):
            if digit[i] and not keep[i]:
                j = i
                while j > 0 and digit[j - 1]:
                    j -= 1
                while j < len(self.words) and digit[j]:
                    keep[j] = False
                    j += 1
        return " ".join(word for (word, _), kept in zip(self.words, keep) if kept)


@dataclass(frozen=True)
class Heard:
    """What to ask the directory about: the words the recogniser was sure of, and its other
    hypotheses (for smartalex.domain.matching_hypotheses), in the matcher's spelling."""

    text: str
    alternatives: tuple[tuple[str, float], ...] = ()
    raw: str = ""        # the best hypothesis with every word, for short answers (yes, no)


def heard(transcript: Transcript, acronyms: dict[str, str], min_confidence: float) -> Heard:
    """Spoken digits as numbers, spelled acronyms joined ("h r" -> HR), unsure words dropped
    from the best hypothesis (Transcript.confident_text)."""
    def spelled(text: str) -> str:
        return lm.digits_in(lm.join_acronyms(text, acronyms))

    return Heard(spelled(transcript.confident_text(min_confidence)),
                 tuple((spelled(t), w) for t, w in transcript.alternatives),
                 spelled(transcript.text))


def directory_key(entries: Sequence[DirectoryEntry]) -> str:
    canonical = sorted((e.extension, e.display_name, tuple(e.aliases)) for e in entries)
    return hashlib.sha256(repr(canonical).encode()).hexdigest()[:16]


def build_model(entries: Sequence[DirectoryEntry], folder: str,
                other_weight: int = OTHER_WEIGHT) -> SpeechModel:
    """Write a directory's language model (ARPA) and dictionary into `folder`."""
    started = time.monotonic()
    key = directory_key(entries)
    sentences = lm.corpus(entries, other_weight)
    vocab = sorted({w for sentence in sentences for w in sentence} - {lm.OTHER})
    prons = {w: lexicon.pronunciations(w) for w in vocab}
    dropped = tuple(w for w in vocab if not prons[w])
    if dropped:
        unknown = set(dropped)
        sentences = [s for s in ([w for w in s if w not in unknown] for s in sentences) if s]
    others = [w for w in lm.common_words() if w not in prons and lexicon.cmudict().get(w)]
    model = lm.estimate(sentences).expand(lm.OTHER, dict.fromkeys(others, 1.0))
    prons.update({w: lexicon.cmudict()[w] for w in others})
    lm_path = os.path.join(folder, f"{key}.arpa")
    dict_path = os.path.join(folder, f"{key}.dict")
    with open(lm_path, "w", encoding="utf-8") as f:
        f.write(model.to_arpa())
    with open(dict_path, "w", encoding="utf-8") as f:
        for word in sorted(model.vocabulary):
            for i, phones in enumerate(prons[word]):
                label = word if i == 0 else f"{word}({i + 1})"
                f.write(f"{label} {' '.join(phones)}\n")
    logger.info("Built a speech model", extra={
        "directory_key": key, "entries": len(entries), "words": len(model.vocabulary),
        "dropped_words": list(dropped), "seconds": round(time.monotonic() - started, 3)})
    return SpeechModel(key, lm_path, dict_path, frozenset(model.vocabulary), dropped)


def _private_folder() -> str:
    folder = tempfile.mkdtemp(prefix="receptionist-lm-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _forget(model: SpeechModel) -> None:
    for path in (model.lm_path, model.dict_path):
        with contextlib.suppress(OSError):
            os.remove(path)


class ModelBuilder:
    """build_model in-process, with an LRU cache by directory content."""

    def __init__(self, cache_size: int = 16, folder: str | None = None):
        self._folder = folder or _private_folder()
        self._cache: OrderedDict[str, SpeechModel] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def build(self, entries: Sequence[DirectoryEntry]) -> SpeechModel:
        key = directory_key(entries)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            model = self._cache[key] = build_model(entries, self._folder)
            while len(self._cache) > self._cache_size:
                _forget(self._cache.popitem(last=False)[1])
            return model


class Recognizer:
    """A decoder for one speech model (pocketsphinx decoders are not shared between threads)."""

    def __init__(self, model: SpeechModel, language_weight: float = 6.5, dither: float = 8.0,
                 nbest: int = NBEST, temperature: float = NBEST_TEMPERATURE):
        import pocketsphinx

        self.model = model
        self._dither = dither
        self._nbest = nbest
        self._temperature = temperature
        self._decoder = pocketsphinx.Decoder(
            hmm=os.path.join(lexicon._model_dir(), "en-us"), lm=model.lm_path,
            dict=model.dict_path, samprate=16000, lw=language_weight, loglevel="FATAL")

    def transcribe(self, pcm_8k: np.ndarray) -> Transcript:
        """Decode one utterance (8 kHz int16 samples)."""
        started = time.monotonic()
        if self._dither:
            # Digital silence (espeak-ng's pauses, an edge's empty frames) throws the acoustic
            # model off: on undithered synthetic requests a little noise found the right person
            # in 61 of 80 instead of 51. Seeded, so an utterance always decodes the same way.
            noise = np.random.default_rng(0).normal(0.0, self._dither, pcm_8k.size)
            pcm_8k = np.clip(pcm_8k + noise, -32768, 32767).astype(np.int16)
        audio = upsample_2x(pcm_8k)
        self._decoder.start_utt()
        self._decoder.process_raw(audio.tobytes(), no_search=False, full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        words = tuple((_ALTERNATE.sub("", seg.word), min(max(float(seg.prob), 0.0), 1.0))
                      for seg in (self._decoder.seg() if hypothesis else ())
                      if not seg.word.startswith(("<", "[")))
        best = " ".join(word for word, _ in words)
        alternatives = self._alternatives(best) if hypothesis else ()
        return Transcript(words, pcm_8k.size / 8000, time.monotonic() - started, alternatives)

    def _alternatives(self, best: str) -> tuple[tuple[str, float], ...]:
        """The n-best list as (text, share of weight), without the best hypothesis itself.
        The bindings hand scores over as probabilities (logmath_exp of the integer log score),
        so their natural log is the path score in nats."""
        scored: dict[str, list[float]] = {}
        for _, entry in zip(range(self._nbest), self._decoder.nbest()):
            text = " ".join(w for w in (_ALTERNATE.sub("", t) for t in entry.hypstr.split())
                            if not w.startswith(("<", "[")))
            score = math.log(entry.score) if entry.score > 0 else -math.inf
            scored.setdefault(text, []).append(score)
        top = max((s for scores in scored.values() for s in scores), default=-math.inf)
        if not math.isfinite(top):
            return ()
        # The same words by other paths (another pronunciation, a pause) add up.
        weights = {t: sum(math.exp((s - top) / self._temperature) for s in scores)
                   for t, scores in scored.items()}
        total = sum(weights.values())
        return tuple((t, w / total) for t, w in sorted(weights.items(), key=lambda tw: -tw[1])
                     if t != best and t)


# --- worker processes ---
_recognizers: OrderedDict[str, Recognizer] = OrderedDict()


def _start_worker(parent: int) -> None:
    """Worker initialiser: leave when the server does (a SIGKILLed server cannot shut its pool
    down, and orphaned workers would linger)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _warm_worker() -> None:
    importlib.import_module("pocketsphinx")   # the first call should not wait for the import




def _transcribe_in_worker(model: SpeechModel, pcm: bytes) -> Transcript:
    recognizer = _recognizers.get(model.key)
    if recognizer is None:
        recognizer = _recognizers[model.key] = Recognizer(model)
        while len(_recognizers) > 8:
            _recognizers.popitem(last=False)
    _recognizers.move_to_end(model.key)
    return recognizer.transcribe(np.frombuffer(pcm, dtype=np.int16))


class SpeechService:
    """Speech models and decoding in worker processes, shared by all calls.

    Decoders run in a pool of `processes` workers, each keeping a decoder per recent model
    (about 50 MB a worker). Models are built in a process of their own that exits afterwards:
    building loads the whole CMU dictionary, and a worker that had loaded it stayed at 100 MB
    even after letting it go; directories change rarely, so the 0.5 s start is cheap. Models
    are cached here by directory content; their files live in a private folder. A model's
    files are deleted only when it is beyond the cache size AND no call has started with it
    for `keep_files` seconds, so a call in progress never loses the model its decoder needs.
    """

    def __init__(self, processes: int = 2, cache_size: int = 64, keep_files: float = 3600.0):
        self._processes = processes
        self._folder = _private_folder()
        self._models: OrderedDict[str, SpeechModel] = OrderedDict()
        self._last_used: dict[str, float] = {}
        self._keep_files = keep_files
        self._building: dict[str, asyncio.Future[SpeechModel]] = {}
        self._cache_size = cache_size
        self._pool = self._new_pool(processes)

    @staticmethod
    def _new_pool(processes: int) -> ProcessPoolExecutor:
        # spawn: a clean child, not a fork of a process with an event loop and threads.
        return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(os.getpid(),))

    async def warm(self) -> None:
        """Start the workers before the first call."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, _warm_worker)
                               for _ in range(self._processes)))

    async def model(self, entries: Sequence[DirectoryEntry]) -> SpeechModel:
        key = directory_key(entries)
        if key in self._models:
            self._models.move_to_end(key)
            self._last_used[key] = time.monotonic()
            return self._models[key]
        if key not in self._building:
            self._building[key] = asyncio.ensure_future(self._build(key, list(entries)))
        return await asyncio.shield(self._building[key])

    async def _build(self, key: str, entries: list[DirectoryEntry]) -> SpeechModel:
        builder = self._new_pool(1)   # one process for this build, gone afterwards
        try:
            model = await asyncio.get_running_loop().run_in_executor(
                builder, build_model, entries, self._folder)
        finally:
            del self._building[key]
            builder.shutdown(wait=False)
        self._models[key] = model
        self._last_used[key] = time.monotonic()
        self._evict()
        return model

    def _evict(self) -> None:
        stale_before = time.monotonic() - self._keep_files
        while len(self._models) > self._cache_size:
            oldest = next(iter(self._models))
            if self._last_used[oldest] > stale_before:
                break
            del self._last_used[oldest]
            _forget(self._models.pop(oldest))

    async def transcribe(self, model: SpeechModel, pcm_8k: np.ndarray) -> Transcript:
        loop = asyncio.get_running_loop()
        pcm = pcm_8k.astype(np.int16).tobytes()
        try:
            return await loop.run_in_executor(self._pool, _transcribe_in_worker, model, pcm)
        except BrokenProcessPool:
            logger.error("A speech worker died; starting new ones")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool(self._processes)
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
