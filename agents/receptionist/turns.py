"""When the caller has finished a request, and what they said: the endpointer's events, the
recogniser's results and the rule for answering early, in one object with no I/O and no clock
(it counts audio), used by the server and the bench alike.

The caller's wait for a reply is the quiet the receptionist waits for plus the decode (100-200
ms of a core). So decoding starts early: every Pause (vad.PAUSE_MS without voice) hands the
audio so far to the recogniser while the caller may still be speaking. When a Pause's result
settles the question (`settle_after`: one directory match, a yes or no to the offer) and the
caller has stayed quiet since that Pause for SETTLE_MS, the utterance ends there and the answer
goes out, its decode already done. Anything else waits for the end of the utterance
(vad.END_SILENCE_MS), which reuses the last Pause's decode when no voice came after it.

A call has one decode running at a time (`next_job`); a Pause overtaken by a later Pause, by
the caller speaking again, or by the end of its utterance before its turn is not decoded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smartalex.domain.directory import Verdict
from smartalex.domain.matching import Matcher
from smartalex.domain.matching_hypotheses import resolve_hypotheses

from .conversation import Conversation
from .stt import Heard
from .vad import Endpointer, Pause, SpeechStarted, Utterance

# Shorter "speech" is a cough or a click: heard as nothing. (Speech starts at 120 ms of voice;
# a quick "no" or "yep" has 180-250 ms.)
MIN_VOICED_MS = 150
# Quiet after a request the directory matches before answering it, without waiting for the end
# of the utterance: a caller who pauses this long mid-sentence ("Sarah... Murphy's assistant")
# is answered on what they said so far.
SETTLE_MS = 300

Key = tuple[int, int]    # an utterance and where its voice ended (vad.Pause.key)


@dataclass(frozen=True)
class Decode:
    """Audio to decode: a Pause's (speculative) or the finished utterance's."""

    audio: np.ndarray
    key: Key
    final: bool          # the utterance has ended: its result is the answer, settled or not


@dataclass(frozen=True)
class Answer:
    """What the caller said, to act on."""

    heard: Heard
    early: bool = False  # at a Pause, before the end of the utterance


def settle_after(conversation: Conversation, matcher: Matcher | None, said: Heard) -> int | None:
    """How long the caller must stay quiet before `said` is answered as it stands (ms); None
    when it does not settle anything (no match, several, or not listening). The edge's matcher
    gives the same answer to the `resolve` that follows."""
    if conversation.reads_itself(said.raw, said.alternatives):
        return SETTLE_MS
    if matcher is None or not conversation.listening or not said.text:
        return None
    resolution = resolve_hypotheses(matcher, said.text, said.alternatives)
    return SETTLE_MS if resolution.verdict is Verdict.MATCH else None


class Turns:
    def __init__(self, endpointer: Endpointer, settle_after: Callable[[Heard], int | None],
                 min_voiced_ms: int = MIN_VOICED_MS):
        self._endpointer = endpointer
        self._settle_after = settle_after
        self._min_voiced_ms = min_voiced_ms
        self._jobs: list[Decode] = []
        self._running: Decode | None = None
        self._awaited: Key | None = None        # an ended utterance waiting for the running decode
        self._heard: OrderedDict[Key, Heard] = OrderedDict()   # recent results
        self._settled: tuple[Key, Heard, int] | None = None    # answer once quiet this long

    @property
    def in_speech(self) -> bool:
        return self._endpointer.in_speech

    @property
    def has_jobs(self) -> bool:
        return bool(self._jobs)

    def feed(self, samples: np.ndarray, tone: bool = False) -> list[SpeechStarted | Answer]:
        """Caller audio in (`tone`: a DTMF tone is in it); speech starting and answers out."""
        out: list[SpeechStarted | Answer] = []
        for event in self._endpointer.feed(samples, tone=tone):
            if isinstance(event, SpeechStarted):
                out.append(event)
            elif isinstance(event, Pause):
                self._jobs.append(Decode(event.audio, event.key, final=False))
            else:
                out += self._ended(event)
        return out + self._answer_if_settled()

    def reset(self) -> None:
        """Forget the utterance in progress (it was keypad tones)."""
        self._endpointer.reset()
        self._settled = None
        self._jobs = [job for job in self._jobs if job.final]

    def next_job(self) -> Decode | None:
        """The next audio to decode, once the previous decode is done (`decoded`)."""
        while self._jobs:
            job = self._jobs.pop(0)
            if job.final or (not self._jobs and self._endpointer.quiet_ms(job.key) is not None):
                self._running = job
                return job
        return None

    def decoded(self, job: Decode, said: Heard | None) -> list[Answer]:
        """The recogniser's result for `job` (None: the decode failed)."""
        self._running = None
        if said is not None:
            self._heard[job.key] = said
            while len(self._heard) > 4:
                self._heard.popitem(last=False)
        if job.final or self._awaited == job.key:
            self._awaited = None
            return [Answer(said or Heard(""))]
        if said is not None and said.text:
            wait = self._settle_after(said)
            if wait is not None:
                self._settled = (job.key, said, wait)
        return self._answer_if_settled()

    def _ended(self, utterance: Utterance) -> list[Answer]:
        self._settled = None
        if utterance.voiced_ms < self._min_voiced_ms:
            return [Answer(Heard(""))]
        said = self._heard.get(utterance.key)
        if said is not None:
            return [Answer(said)]
        if self._running is not None and self._running.key == utterance.key:
            self._awaited = utterance.key
            return []
        self._jobs.append(Decode(utterance.audio, utterance.key, final=True))
        return []

    def _answer_if_settled(self) -> list[Answer]:
        if self._settled is None:
            return []
        key, said, wait = self._settled
        quiet = self._endpointer.quiet_ms(key)
        if quiet is None:            # the caller spoke again, or the utterance has ended
            self._settled = None
            return []
        if quiet < wait:
            return []
        self._settled = None
        self._endpointer.finish(key)
        return [Answer(said, early=True)]
