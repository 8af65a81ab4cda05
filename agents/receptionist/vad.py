"""Cutting the caller's audio into utterances.

A frame (20 ms) counts as voice when pocketsphinx's voice activity detector (WebRTC's) says
speech AND its level stands clear of the line's noise floor: WebRTC's VAD alone takes steady
line noise for speech. Clear means 9 dB above the floor to start speech, but only 3 dB to go on
with it: the quiet parts of words ("reception *please*", on a line with noise 30 dB below the
speech) are often less than 9 dB above the floor, and with one margin the utterance was cut
after its first syllables. Speech starts once 6 of the last 10 frames were voice (the moment
for barge-in); it ends after 700 ms without voice, or at 6 s, whichever comes first.

Waiting 700 ms is most of the time between the caller's last word and the reply, so after a
short gap without voice (PAUSE_MS), and again after KEEP_QUIET_MS, the endpointer offers a
`Pause` with the audio so far: the caller may have finished. turns.py decodes it at once and,
when what it heard settles the question and the caller has stayed quiet long enough, answers
and calls `finish()`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .audio import FRAME_MS, SAMPLE_RATE, level_dbfs

END_SILENCE_MS = 700   # without voice this long, the utterance has ended
PAUSE_MS = 160         # without voice this long, a Pause: decode what was said so far
KEEP_QUIET_MS = 300    # of the quiet after the last voice, what the recogniser is given; a
                       # second Pause comes when there is this much


@dataclass(frozen=True)
class SpeechStarted:
    pass


@dataclass(frozen=True)
class Pause:
    """The caller has been quiet for a moment within an utterance: the audio so far."""

    audio: np.ndarray
    utterance: int         # which utterance (Utterance.number) it belongs to
    voice_end: int         # samples of `audio` up to the end of its last voice
    voiced_ms: int         # how much of it was voice
    exact: bool = True     # its quiet is all heard, none repeated: the audio the Utterance
                           # will have if the caller says no more

    @property
    def key(self) -> tuple[int, int]:
        """The same for a Pause and the Utterance it ends up as, if no voice came between."""
        return self.utterance, self.voice_end


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray      # 8 kHz int16, with a little silence either side
    truncated: bool        # cut at the length cap rather than by a pause
    voiced_ms: int         # how much of it was voice; too little means a cough or a click
    number: int = 0        # counts the call's utterances from 1
    voice_end: int = 0     # samples up to the end of its last voice

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE

    @property
    def key(self) -> tuple[int, int]:
        return self.number, self.voice_end


class Endpointer:
    def __init__(self, end_silence_ms: int = END_SILENCE_MS, max_utterance_ms: int = 6000,
                 start_window: int = 10, start_voiced: int = 6, preroll_ms: int = 500,
                 snr_db: float = 9.0, go_on_snr_db: float = 3.0, floor_dbfs: float = -50.0,
                 vad_mode: int = 2, pause_ms: int = PAUSE_MS):
        import pocketsphinx

        self._vad = pocketsphinx.Vad(vad_mode, SAMPLE_RATE, FRAME_MS / 1000)
        self._frame = self._vad.frame_bytes // 2
        self._end_frames = end_silence_ms // FRAME_MS
        self._max_frames = max_utterance_ms // FRAME_MS
        self._start_voiced = start_voiced
        self._window: deque[bool] = deque(maxlen=start_window)
        self._preroll: deque[np.ndarray] = deque(maxlen=preroll_ms // FRAME_MS)
        self._snr_db = snr_db
        self._go_on_snr_db = go_on_snr_db
        self._pause_frames = pause_ms // FRAME_MS
        self._number = 0
        self._floor_dbfs = floor_dbfs
        self._noise_db: float | None = None
        self._pending = np.zeros(0, dtype=np.int16)
        self._speech: list[np.ndarray] | None = None
        self._voiced = 0
        self._trailing = 0

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def feed(self, samples: np.ndarray,
             tone: bool = False) -> list[SpeechStarted | Pause | Utterance]:
        """Audio in; events out. `tone`: a DTMF tone is in this audio (never voice)."""
        self._pending = np.concatenate([self._pending, samples])
        events: list[SpeechStarted | Pause | Utterance] = []
        while self._pending.size >= self._frame:
            frame, self._pending = self._pending[:self._frame], self._pending[self._frame:]
            event = self._step(frame, self._is_voice(frame) and not tone)
            if event is not None:
                events.append(event)
        return events

    def reset(self) -> None:
        """Forget any utterance in progress (e.g. it turned out to be keypad tones)."""
        self._speech = None
        self._window.clear()
        self._preroll.clear()

    def quiet_ms(self, key: tuple[int, int]) -> int | None:
        """How long the caller has been quiet since the Pause `key`; None when its utterance
        has ended or voice came after it."""
        if self._speech is None or key != (self._number, self._voice_end()):
            return None
        return self._trailing * FRAME_MS

    def finish(self, key: tuple[int, int]) -> bool:
        """End the utterance of Pause `key` now, without an Utterance event (the Pause was
        enough); False if it has already ended or voice came after that Pause."""
        if self.quiet_ms(key) is None:
            return False
        self.reset()
        return True

    def _voice_end(self) -> int:
        return (len(self._speech or ()) - self._trailing) * self._frame

    def _is_voice(self, frame: np.ndarray) -> bool:
        level = level_dbfs(frame)
        if self._noise_db is None:
            self._noise_db = max(level, -90.0)
        margin = self._go_on_snr_db if self._speech is not None else self._snr_db
        loud = level > max(self._noise_db + margin, self._floor_dbfs)
        voice = loud and self._vad.is_speech(frame.tobytes())
        # Track the noise floor: follow it down at once, up slowly (about 5 dB/s) when quiet.
        if level < self._noise_db:
            self._noise_db = max(level, -90.0)
        elif not voice:
            self._noise_db = min(self._noise_db + 0.1, level)
        return voice

    def _step(self, frame: np.ndarray, voice: bool) -> SpeechStarted | Pause | Utterance | None:
        if self._speech is None:
            self._preroll.append(frame)
            self._window.append(voice)
            if sum(self._window) >= self._start_voiced:
                self._speech = list(self._preroll)
                self._voiced = sum(self._window)
                self._trailing = 0
                self._preroll.clear()
                self._window.clear()
                self._number += 1
                return SpeechStarted()
            return None
        self._speech.append(frame)
        if voice:
            self._voiced += 1
            self._trailing = 0
        else:
            self._trailing += 1
        if self._trailing >= self._end_frames:
            return self._finish(truncated=False)
        if len(self._speech) >= self._max_frames:
            return self._finish(truncated=True)
        if self._trailing in (self._pause_frames, KEEP_QUIET_MS // FRAME_MS):
            return Pause(self._with_quiet(self._speech), self._number, self._voice_end(),
                         self._voiced * FRAME_MS, self._trailing >= KEEP_QUIET_MS // FRAME_MS)
        return None

    def _with_quiet(self, speech: list[np.ndarray]) -> np.ndarray:
        """The audio so far, its quiet made up to KEEP_QUIET_MS by repeating the quiet it has,
        so the recogniser gets a Pause in the shape it gets an Utterance in (and was tuned on):
        with only the Pause's 160 ms of line noise after the last word, Whisper heard several
        requests differently (report set, espeak-ng: 56 right and 2 wrong transfers instead of
        59 and 1; with the quiet repeated, 59 and 1). Padding with zeros was not tried."""
        missing = KEEP_QUIET_MS // FRAME_MS - self._trailing
        quiet = speech[len(speech) - self._trailing:]
        return np.concatenate(speech + quiet[len(quiet) - missing:] if missing > 0 else speech)

    def _finish(self, truncated: bool) -> Utterance:
        """Every SpeechStarted is followed by one Utterance, however short."""
        voice_end = self._voice_end()
        speech, self._speech = self._speech or [], None
        keep = len(speech) - max(self._trailing - KEEP_QUIET_MS // FRAME_MS, 0)
        return Utterance(np.concatenate(speech[:keep]), truncated, self._voiced * FRAME_MS,
                         self._number, voice_end)
