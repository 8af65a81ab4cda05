"""When the caller has finished a request, and what they said: the endpointer's events, the
recogniser's results and the rule for answering early, in one object with no I/O, no clock and
no threads (it counts audio frames), driven by the server and by the bench alike.

The caller's wait for a reply is the quiet the receptionist waits for plus a decode (100-200 ms
of a core in a speech worker). So decoding starts early: a Pause (vad.PAUSE_MS without voice,
and again at vad.KEEP_QUIET_MS) hands the audio so far to the recogniser while the caller may
still go on. When a Pause's result settles the question (`settles`: one directory match, a
yes or no to the reception offer, a pick among the names offered) and the caller has stayed
quiet for SETTLE_MS since their last word, the utterance ends there and the answer goes out,
its decode already done. Anything else waits for the end of the utterance
(vad.END_SILENCE_MS), which reuses the decode of the Pause at vad.KEEP_QUIET_MS when no voice
came after it. The first Pause's audio has its quiet repeated up to that length (vad.py), and
its result only ever answers early: at the end the answer is always that of the utterance's
own audio, however far the decodes lag behind the call.

The driver decodes one job at a time: `next_job`, then `decoded` with its result. A Pause
overtaken by a later Pause, by voice, or by the end of its utterance before its turn comes is
not decoded, nor is one with too little voice to be speech (MIN_VOICED_MS: a cough).
"""

from __future__ import annotations

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
# Quiet after a request that settles the question before it is answered without waiting for
# the end of the utterance; a caller who goes on after this long ("Sarah... Murphy's
# assistant") is answered on what they had said.
SETTLE_MS = 300

Key = tuple[int, int]    # an utterance and where its voice ended (vad.Pause.key)


@dataclass(frozen=True)
class Decode:
    """Audio to decode: a Pause's (the caller may go on) or a finished utterance's."""

    audio: np.ndarray
    key: Key
    final: bool          # the utterance has ended: its result is the answer, settled or not
    exact: bool = True   # the audio the utterance ends with if the caller says no more


@dataclass(frozen=True)
class Answer:
    """What the caller said, to act on."""

    heard: Heard
    early: bool = False  # at a Pause, before the end of the utterance


def settles(conversation: Conversation, matcher: Matcher | None, said: Heard) -> bool:
    """Whether the conversation would act on `said` as it stands: an answer it reads itself,
    or a request the directory matches (the edge's matcher gives the same answer to the
    `resolve` that follows)."""
    if not said.text:
        return False
    if conversation.reads_itself(said.raw, said.alternatives):
        return True
    if matcher is None or not conversation.listening:
        return False
    return resolve_hypotheses(matcher, said.text, said.alternatives).verdict is Verdict.MATCH


class Turns:
    """The caller's turns in one call. `settles(heard)` says whether a Pause's result can be
    answered before the utterance ends."""

    def __init__(self, endpointer: Endpointer, settles: Callable[[Heard], bool],
                 settle_ms: int = SETTLE_MS, min_voiced_ms: int = MIN_VOICED_MS):
        self._endpointer = endpointer
        self._settles = settles
        self._settle_ms = settle_ms
        self._min_voiced_ms = min_voiced_ms
        self._jobs: list[Decode] = []          # finished utterances first, then at most a Pause
        self._running: Decode | None = None
        self._awaited: Key | None = None       # an ended utterance whose Pause is being decoded
        self._last: tuple[Key, Heard] | None = None       # the last Pause decoded
        self._settled: tuple[Key, Heard] | None = None    # to answer once quiet long enough

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
                # an earlier Pause waiting for its turn is overtaken (and its audio let go)
                self._jobs = [job for job in self._jobs if job.final]
                if event.voiced_ms >= self._min_voiced_ms:
                    self._jobs.append(Decode(event.audio, event.key, False, event.exact))
            else:
                out += self._ended(event)
        return out + self._answer_if_settled()

    def reset(self) -> None:
        """Forget the utterance in progress (it was keypad tones)."""
        self._endpointer.reset()
        self._settled = None

    def next_job(self) -> Decode | None:
        """The next audio to decode; call `decoded` with its result before asking again. A
        Pause whose utterance has ended, or that voice came after, is skipped."""
        while self._jobs:
            job = self._jobs.pop(0)
            if job.final or self._endpointer.quiet_ms(job.key) is not None:
                self._running = job
                return job
        return None

    def decoded(self, job: Decode, said: Heard | None) -> list[Answer]:
        """The recogniser's result for `job` (None: the decode failed)."""
        self._running = None
        if job.final or (job.exact and job.key == self._awaited):
            self._awaited = None
            return [Answer(said or Heard(""))]
        if said is None:
            return []
        if job.exact:
            self._last = (job.key, said)
        if self._settles(said):
            self._settled = (job.key, said)
        return self._answer_if_settled()

    def _ended(self, utterance: Utterance) -> list[Answer]:
        self._settled = None
        if utterance.voiced_ms < self._min_voiced_ms:
            return [Answer(Heard(""))]
        if self._last is not None and self._last[0] == utterance.key:
            return [Answer(self._last[1])]
        running = self._running
        if running is not None and running.exact and running.key == utterance.key:
            self._awaited = utterance.key
            return []
        self._jobs.append(Decode(utterance.audio, utterance.key, final=True))
        return []

    def _answer_if_settled(self) -> list[Answer]:
        if self._settled is None:
            return []
        key, said = self._settled
        quiet = self._endpointer.quiet_ms(key)
        if quiet is None:            # the caller spoke again, or the utterance has ended
            self._settled = None
            return []
        if quiet < self._settle_ms:
            return []
        self._settled = None
        self._endpointer.finish(key)
        return [Answer(said, early=True)]
