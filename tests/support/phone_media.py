"""Audio taps of the test phone. pjmedia may call RxMeter.onFrameReceived and Player.onEof2
from its clock thread, so they only touch Python data, never pjsua2 (docs/measurements/pjsua2-threading.md)."""

from __future__ import annotations

import math
import struct
import threading
from array import array
from collections import deque

import pjsua2 as pj


def wav_finished(path: str) -> bool:
    """pjmedia's WAV writer leaves the RIFF length 0 until it closes the file."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return len(head) == 8 and struct.unpack("<I", head[4:])[0] != 0


def destroy(port) -> None:
    """Delete the C++ side of an RxMeter or Player now, while its Python object is still alive.

    Left to reference counting, SWIG deletes the C++ object from inside the Python object's
    dealloc and releases the GIL meanwhile; a clock-thread callback that slips in (pjmedia's
    bridge calls onFrameReceived every 20 ms, connected or not) then runs Python code on an
    object whose refcount is 0, which frees it a second time: the phone segfaults, rarely and
    at random (tests/support/phone.py, shutdown). After this the object is a dead proxy: keep
    reading its Python attributes (snapshot, wav), never call pjsua2 methods on it."""
    if port.this.own():
        port.__swig_destroy__(port)  # the C++ destructor unhooks the callbacks; disowns


class RxMeter(pj.AudioMediaPort):
    """What the phone hears, measured per 20 ms frame: counts, RMS, peak (16-bit scale)."""

    SPEECH_RMS = 100.0  # about -50 dBFS: anything a caller would call "sound"

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self.reset()

    def open(self, name: str) -> None:
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, 8000, 1, 20000, 16)
        self.createPort(name, fmt)

    def reset(self) -> None:
        with self._lock:
            self._frames = self._sound = self._speech = self._samples = 0
            self._sumsq = self._peak = 0.0
            self._recent: deque = deque(maxlen=50)  # the last second: (sum of squares, samples)

    def onFrameReceived(self, frame):  # pjmedia clock thread: Python data only
        if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or frame.size < 2:
            return
        pcm = array("h", bytes(frame.buf)[:frame.size // 2 * 2])
        sumsq = float(sum(s * s for s in pcm))
        frame_rms = math.sqrt(sumsq / len(pcm))
        with self._lock:
            self._frames += 1
            self._recent.append((sumsq, len(pcm)))
            if sumsq:
                self._sound += 1
                self._sumsq += sumsq
                self._samples += len(pcm)
                self._peak = max(self._peak, frame_rms)
                self._speech += frame_rms >= self.SPEECH_RMS

    def snapshot(self) -> dict:
        with self._lock:
            recent_n = sum(n for _, n in self._recent)
            return {
                "rx_frames": self._sound,
                "rx_rms": round(math.sqrt(self._sumsq / self._samples), 1) if self._samples else 0.0,
                "rx_peak_rms": round(self._peak, 1),
                "rx_speech_frames": self._speech,
                "rx_recent_rms": round(math.sqrt(sum(s for s, _ in self._recent) / recent_n), 1)
                if recent_n else 0.0,
                "rx_bridge_frames": self._frames,
            }


NO_LEVELS = {"rx_frames": 0, "rx_rms": 0.0, "rx_peak_rms": 0.0, "rx_speech_frames": 0,
             "rx_recent_rms": 0.0, "rx_bridge_frames": 0}


class Player(pj.AudioMediaPlayer):
    def __init__(self, wav: str, what: str):
        super().__init__()
        self.wav, self.what, self.done = wav, what, False

    def onEof2(self):  # may run on the clock thread: set a flag, the main loop does the rest
        self.done = True
