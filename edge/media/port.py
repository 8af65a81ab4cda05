"""The audio tap between a call and its agent.

pjmedia calls onFrameReceived/onFrameRequested from its clock thread, not the pjsua thread, so
these methods only touch thread-safe Python containers and never call into pjsua2 (pjsua2's
threading rules: docs/measurements/pjsua2-threading.md). The conference bridge runs at 8 kHz, so
frames are 20 ms of 16-bit PCM: 320 bytes.

What an agent queues is bounded: an agent sends audio as fast as its TTS makes it, and a buggy
or hostile one could fill the edge's memory. Past MAX_QUEUED_SECONDS of unplayed audio the
excess is dropped (and reported once per call, `on_overflow`); `clear` empties the queue.

Besides audio and the agent's marks, the queue holds the edge's own cues (a transfer or hang-up
the agent asked for behind its audio): `on_cue` gets each one when playback reaches it.
"""

from __future__ import annotations

import audioop
import threading
import time
from collections import deque
from typing import Callable

import pjsua2 as pj

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000 * 2
ULAW_FRAME = FRAME_BYTES // 2
_SILENCE = bytes(FRAME_BYTES)
MAX_QUEUED_SECONDS = 120
MAX_QUEUED_FRAMES = MAX_QUEUED_SECONDS * 1000 // FRAME_MS


def _ignore(*_args) -> None:
    pass


class Mark:
    """A named point in the outbound audio; reported once everything before it was played."""

    def __init__(self, name: str):
        self.name = name


class Cue:
    """Something the edge does once the audio queued before it has played."""

    def __init__(self, what: object):
        self.what = what


class AgentAudioPort(pj.AudioMediaPort):
    """Caller audio out to `on_caller_audio` (μ-law); agent audio in through `play`."""

    def __init__(self, on_caller_audio: Callable[[bytes], None],
                 on_mark: Callable[[str], None],
                 on_overflow: Callable[[], None] = lambda: None,
                 on_cue: Callable[[object], None] = lambda _: None):
        super().__init__()
        self._on_caller_audio = on_caller_audio
        self._on_mark = on_mark
        self._on_overflow = on_overflow
        self._on_cue = on_cue
        self._outbound: deque[bytes | Mark | Cue] = deque()
        self._frames = 0  # audio frames in _outbound (marks not counted)
        self.dropped_frames = 0
        self._lock = threading.Lock()
        self._pending = b""
        self.rx_frames = 0
        self.rx_voiced_at: float | None = None  # last time the caller's side carried energy
        self.played_at: float | None = None     # last time a frame of the agent's audio played

    def detach(self) -> None:
        """Forget the callbacks (they reference the call's session), then free the port.

        The C++ port is deleted here, explicitly, while this Python object is alive. Left to
        reference counting, SWIG deletes it from inside the Python object's dealloc with the
        GIL released; pjmedia's clock thread calls onFrameRequested/onFrameReceived every
        20 ms, connected or not, and a call that slips into that gap runs on an object whose
        refcount is already 0 and frees it a second time: a rare segfault of the worker
        (measured on the test phone's identical meter port: 10 crashed processes of 150 left
        to refcounting, 0 of 150 destroyed explicitly). After this the object is inert."""
        self._on_caller_audio = self._on_mark = self._on_overflow = self._on_cue = _ignore
        if self.this.own():
            self.__swig_destroy__(self)  # the C++ destructor unhooks the callbacks; disowns

    def open(self, name: str) -> None:
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, SAMPLE_RATE, 1, FRAME_MS * 1000, 16)
        self.createPort(name, fmt)

    # --- agent side (any thread) ---
    def play(self, ulaw: bytes) -> None:
        overflowed = False
        with self._lock:
            data = self._pending + ulaw
            whole = len(data) - len(data) % ULAW_FRAME
            for i in range(0, whole, ULAW_FRAME):
                if self._frames >= MAX_QUEUED_FRAMES:
                    overflowed = not self.dropped_frames
                    self.dropped_frames += (whole - i) // ULAW_FRAME
                    break
                self._outbound.append(data[i:i + ULAW_FRAME])
                self._frames += 1
            self._pending = data[whole:]
        if overflowed:
            self._on_overflow()

    def mark(self, name: str) -> None:
        with self._lock:
            self._flush_pending()
            self._outbound.append(Mark(name))

    def cue(self, what: object) -> None:
        """`on_cue(what)` once everything queued so far has played."""
        with self._lock:
            self._flush_pending()
            self._outbound.append(Cue(what))

    def clear(self) -> list[object]:
        """Barge-in: drop queued audio. Returns, in order, what was waiting behind it: the names
        of marks (to echo) and what cues carried (to do now)."""
        with self._lock:
            waiting = [item.name if isinstance(item, Mark) else item.what
                       for item in self._outbound if not isinstance(item, bytes)]
            self._outbound.clear()
            self._frames = 0
            self._pending = b""
        return waiting

    def queued_seconds(self) -> float:
        with self._lock:
            return self._frames * FRAME_MS / 1000

    def _flush_pending(self) -> None:
        if self._pending:
            self._outbound.append(self._pending.ljust(ULAW_FRAME, b"\xff"))
            self._frames += 1
            self._pending = b""

    # --- pjmedia clock thread ---
    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        ulaw = None
        with self._lock:
            while self._outbound:
                item = self._outbound.popleft()
                if isinstance(item, Mark):
                    self._on_mark(item.name)
                    continue
                if isinstance(item, Cue):
                    self._on_cue(item.what)
                    continue
                ulaw = item
                self._frames -= 1
                self.played_at = time.monotonic()
                break
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(audioop.ulaw2lin(ulaw, 2) if ulaw else _SILENCE)
        frame.size = FRAME_BYTES

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or not frame.size:
            return
        pcm = bytes(frame.buf)
        self.rx_frames += 1
        if audioop.rms(pcm, 2) > 30:
            self.rx_voiced_at = time.monotonic()
        self._on_caller_audio(audioop.lin2ulaw(pcm, 2))
