"""Cutting the caller's audio into utterances.

A frame (20 ms) counts as voice when pocketsphinx's voice activity detector (WebRTC's) says
speech AND its level stands clear of the line's noise floor: WebRTC's VAD alone takes steady
line noise for speech. Speech starts once 6 of the last 10 frames were voice (the moment for
barge-in); it ends after 700 ms without voice, or at 6 s, whichever comes first.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .audio import FRAME_MS, SAMPLE_RATE, level_dbfs


@dataclass(frozen=True)
class SpeechStarted:
    pass


@dataclass(frozen=True)
class Utterance:
    audio: np.ndarray      # 8 kHz int16, with a little silence either side
    truncated: bool        # cut at the length cap rather than by a pause
    voiced_ms: int         # how much of it was voice; too little means a cough or a click

    @property
    def seconds(self) -> float:
        return self.audio.size / SAMPLE_RATE


class Endpointer:
    def __init__(self, end_silence_ms: int = 700, max_utterance_ms: int = 6000,
                 start_window: int = 10, start_voiced: int = 6, preroll_ms: int = 500,
                 snr_db: float = 9.0, floor_dbfs: float = -50.0,
                 vad_mode: int = 2):
        import pocketsphinx

        self._vad = pocketsphinx.Vad(vad_mode, SAMPLE_RATE, FRAME_MS / 1000)
        self._frame = self._vad.frame_bytes // 2
        self._end_frames = end_silence_ms // FRAME_MS
        self._max_frames = max_utterance_ms // FRAME_MS
        self._start_voiced = start_voiced
        self._window: deque[bool] = deque(maxlen=start_window)
        self._preroll: deque[np.ndarray] = deque(maxlen=preroll_ms // FRAME_MS)
        self._snr_db = snr_db
        self._floor_dbfs = floor_dbfs
        self._noise_db: float | None = None
        self._pending = np.zeros(0, dtype=np.int16)
        self._speech: list[np.ndarray] | None = None
        self._voiced = 0
        self._trailing = 0

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def feed(self, samples: np.ndarray, tone: bool = False) -> list[SpeechStarted | Utterance]:
        """Audio in; events out. `tone`: a DTMF tone is in this audio (never voice)."""
        self._pending = np.concatenate([self._pending, samples])
        events: list[SpeechStarted | Utterance] = []
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

    def _is_voice(self, frame: np.ndarray) -> bool:
        level = level_dbfs(frame)
        if self._noise_db is None:
            self._noise_db = max(level, -90.0)
        loud = level > max(self._noise_db + self._snr_db, self._floor_dbfs)
        voice = loud and self._vad.is_speech(frame.tobytes())
        # Track the noise floor: follow it down at once, up slowly (about 5 dB/s) when quiet.
        if level < self._noise_db:
            self._noise_db = max(level, -90.0)
        elif not voice:
            self._noise_db = min(self._noise_db + 0.1, level)
        return voice

    def _step(self, frame: np.ndarray, voice: bool) -> SpeechStarted | Utterance | None:
        if self._speech is None:
            self._preroll.append(frame)
            self._window.append(voice)
            if sum(self._window) >= self._start_voiced:
                self._speech = list(self._preroll)
                self._voiced = sum(self._window)
                self._trailing = 0
                self._preroll.clear()
                self._window.clear()
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
        return None

    def _finish(self, truncated: bool) -> Utterance:
        """Every SpeechStarted is followed by one Utterance, however short."""
        speech, self._speech = self._speech or [], None
        keep = len(speech) - max(self._trailing - 15, 0)   # keep 300 ms of the pause
        return Utterance(np.concatenate(speech[:keep]), truncated, self._voiced * FRAME_MS)
