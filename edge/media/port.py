"""The audio tap between a call and its agent: the Python face of the native stream port.

pjmedia's clock thread asks every port for a frame, and hands it one, every 20 ms. That work is
done by `pj.StreamPort` (edge/sip/native/stream_port.hpp) in C++ without the GIL: a port written
in Python costs two GIL round trips and two element-by-element ByteVector copies per call per
20 ms, which at a few dozen calls was most of the worker's CPU. Here the worker's asyncio loop
takes each call's caller audio and played marks in bulk on its own tick (edge/media/loop.py's
`MediaPump`), and agent audio is handed over a whole WebSocket message at a time.

What an agent queues is bounded: an agent sends audio as fast as its TTS makes it, and a buggy
or hostile one could fill the edge's memory. Past MAX_QUEUED_SECONDS of unplayed audio the
excess is dropped (and reported once per call, `on_overflow`); `clear` empties the queue.

Besides audio and the agent's marks, the queue holds the edge's own cues (a transfer or hang-up
the agent asked for behind its audio): `take_played` hands each one back when playback reaches
it. The native port knows only named marks, so agent marks and cues travel under names of their
own kinds ("m…" and "c…"): no name an agent chooses can pass for a cue.

Thread rules: the port is created, connected and freed on the pjsua thread; everything else may
be called from any thread. A lock serialises the native object's use against `detach`, so the
loop thread can never run a method on a port the pjsua thread has just freed.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Callable

import pjsua2 as pj

SAMPLE_RATE = 8000
FRAME_MS = 20
ULAW_FRAME = SAMPLE_RATE * FRAME_MS // 1000  # bytes of μ-law in one frame
MAX_QUEUED_SECONDS = 120
MAX_QUEUED_FRAMES = MAX_QUEUED_SECONDS * 1000 // FRAME_MS
# Caller audio the loop has not taken within this long is dropped, oldest first: the loop
# takes it every 20 ms, so only a stalled loop gets here, and stale audio helps no agent.
MAX_CALLER_SECONDS = 2
MAX_CALLER_FRAMES = MAX_CALLER_SECONDS * 1000 // FRAME_MS


class AgentAudioPort:
    """Caller audio out (`take_caller_audio`, μ-law); agent audio in (`play`, μ-law)."""

    def __init__(self, on_overflow: Callable[[], None] = lambda: None):
        self._native: pj.StreamPort | None = pj.StreamPort(MAX_QUEUED_FRAMES, MAX_CALLER_FRAMES)
        self._lock = threading.Lock()
        self._on_overflow = on_overflow
        self._overflowed = False
        self._cues: dict[str, object] = {}
        self._cue_ids = itertools.count()

    # --- the pjsua thread ---
    def open(self, name: str) -> None:
        self._native.open(name)

    @property
    def media(self) -> pj.AudioMedia:
        """What the call's audio is connected to (startTransmit both ways)."""
        return self._native

    def detach(self) -> None:
        """Free the native port now, on the pjsua thread (its destructor leaves the conference
        bridge); afterwards every method is a harmless no-op."""
        with self._lock:
            native, self._native = self._native, None
            self._on_overflow = _ignore
        if native is not None and native.this.own():
            native.__swig_destroy__(native)

    # --- the agent's side: any thread ---
    def play(self, ulaw: bytes) -> None:
        with self._lock:
            dropped = self._native.play(bytes(ulaw)) if self._native is not None else 0
        if dropped and not self._overflowed:
            self._overflowed = True
            self._on_overflow()

    def mark(self, name: str) -> None:
        """The agent's mark: handed back by `take_played` once the audio before it played."""
        with self._lock:
            if self._native is not None:
                self._native.mark(_MARK + name)

    def cue(self, what: object) -> None:
        """`what` is handed back by `take_played` once everything queued so far has played."""
        with self._lock:
            if self._native is not None:
                name = f"{_CUE}{next(self._cue_ids)}"
                self._cues[name] = what
                self._native.mark(name)

    def clear(self) -> list[object]:
        """Barge-in: drop queued audio. Returns, in order, what was waiting behind it: the names
        of marks (to echo) and what cues carried (to do now)."""
        with self._lock:
            return self._decode(self._native.clear()) if self._native is not None else []

    def queued_seconds(self) -> float:
        with self._lock:
            return self._native.queuedSeconds() if self._native is not None else 0.0

    # --- read by the worker's loop: any thread ---
    def take_caller_audio(self) -> bytes:
        """The caller's audio (μ-law) since the last take; whole 20 ms frames."""
        with self._lock:
            return self._native.takeCallerAudio() if self._native is not None else b""

    def take_played(self) -> list[object]:
        """What playback reached since the last take, in order: the names of the agent's marks
        (str) and what the edge's cues carried."""
        with self._lock:
            return self._decode(self._native.takePlayedMarks()) \
                if self._native is not None else []

    def _decode(self, names) -> list[object]:
        return [name[len(_MARK):] if name.startswith(_MARK) else self._cues.pop(name)
                for name in names]

    @property
    def dropped_frames(self) -> int:
        with self._lock:
            return self._native.droppedFrames() if self._native is not None else 0

    @property
    def received_frames(self) -> int:
        with self._lock:
            return self._native.receivedFrames() if self._native is not None else 0

    @property
    def voiced_at(self) -> float | None:
        """When (time.monotonic) the caller's side last carried sound; None if it never has."""
        with self._lock:
            seconds = self._native.secondsSinceVoiced() if self._native is not None else -1.0
        return None if seconds < 0 else time.monotonic() - seconds

    @property
    def played_at(self) -> float | None:
        """When (time.monotonic) a frame of the agent's audio last played; None if none has."""
        with self._lock:
            seconds = self._native.secondsSincePlayed() if self._native is not None else -1.0
        return None if seconds < 0 else time.monotonic() - seconds


_MARK, _CUE = "m", "c"


def _ignore(*_args) -> None:
    pass
