"""Keypad digits: an in-band DTMF detector (Goertzel) and the rules that turn key presses into
an extension number.

Digits reach the receptionist two ways: as protocol `dtmf` events (the edge saw RFC 4733
telephone-events) or as tones inside the caller's audio, for PBXs that send DTMF in-band. Both
feed one DigitCollector; DigitMerger drops a digit reported by both paths.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = ("123A", "456B", "789C", "*0#D")


def tone(key: str, seconds: float, level: float = 8000.0, sample_rate: int = 8000,
         phase: float = 0.0) -> np.ndarray:
    """A DTMF key's two sine tones as int16 samples (for tests and tools)."""
    row = next(i for i, keys in enumerate(KEYS) if key in keys)
    col = KEYS[row].index(key)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = np.sin(2 * np.pi * ROWS[row] * t + phase) + np.sin(2 * np.pi * COLUMNS[col] * t + phase)
    return (level / 2 * wave).astype(np.int16)


class ToneDetector:
    """Finds DTMF keys in 8 kHz linear audio, fed in chunks of any size.

    Blocks of 205 samples (25.6 ms; bins 39 Hz apart, enough to separate 697 from 770 Hz) every
    102 samples. In each block the Goertzel power at the eight DTMF frequencies (computed as the
    equivalent single-bin DFT, vectorised) must show: one clear row and one clear column peak,
    a twist within 8 dB (column weaker) / 4 dB (column stronger) as ITU-T Q.24 allows, the two
    tones carrying most of the block's energy (speech and noise spread theirs), and a level
    above a floor. A key goes down after two consecutive hits (tones of about 50 ms and longer)
    and up after two consecutive misses; each key-down is reported once.
    """

    def __init__(self, sample_rate: int = 8000, block: int = 205, hop: int = 102,
                 min_level_dbfs: float = -40.0, normal_twist_db: float = 8.0,
                 reverse_twist_db: float = 4.0, min_tone_share: float = 0.7,
                 peak_ratio_db: float = 6.0):
        self.block = block
        self.hop = hop
        n = np.arange(block)
        freqs = np.array(ROWS + COLUMNS)
        self._kernel = np.exp(-2j * np.pi * np.outer(freqs, n) / sample_rate)
        self._min_energy = block * (32768 * 10 ** (min_level_dbfs / 20)) ** 2
        self._normal_twist = 10 ** (normal_twist_db / 10)
        self._reverse_twist = 10 ** (reverse_twist_db / 10)
        self._min_share = min_tone_share
        self._peak_ratio = 10 ** (peak_ratio_db / 10)
        self._buffer = np.zeros(0, dtype=np.float64)
        self._last_hit: str | None = None
        self._hits = 0
        self._misses = 0
        self._down: str | None = None
        self.tone_present = False   # the latest block looked like a DTMF tone

    def feed(self, samples: np.ndarray) -> list[str]:
        """Keys pressed in this audio (key-downs only)."""
        self._buffer = np.concatenate([self._buffer, samples.astype(np.float64)])
        keys: list[str] = []
        while self._buffer.size >= self.block:
            key = self.classify(self._buffer[:self.block])
            self._buffer = self._buffer[self.hop:]
            pressed = self._debounce(key)
            if pressed:
                keys.append(pressed)
        return keys

    def classify(self, block: np.ndarray) -> str | None:
        """The key whose tones fill this block, or None."""
        energy = float(np.dot(block, block))
        if energy < self._min_energy:
            return None
        power = np.abs(self._kernel @ block) ** 2
        rows, cols = power[:4], power[4:]
        r, c = int(np.argmax(rows)), int(np.argmax(cols))
        if any(rows[i] * self._peak_ratio > rows[r] for i in range(4) if i != r):
            return None
        if any(cols[i] * self._peak_ratio > cols[c] for i in range(4) if i != c):
            return None
        if cols[c] * self._normal_twist < rows[r] or rows[r] * self._reverse_twist < cols[c]:
            return None
        # A sine of amplitude A over N samples: DFT power (A*N/2)^2, energy A^2*N/2.
        share = 2 * (rows[r] + cols[c]) / (self.block * energy)
        if share < self._min_share:
            return None
        return KEYS[r][c]

    def _debounce(self, key: str | None) -> str | None:
        self.tone_present = key is not None
        if key is not None and key == self._last_hit:
            self._hits += 1
        else:
            self._hits = 1 if key is not None else 0
        self._last_hit = key
        self._misses = 0 if key is not None and key == self._down else self._misses + 1
        if self._down is not None and self._misses >= 2:
            self._down = None
        if key is not None and self._down is None and self._hits >= 2:
            self._down = key
            self._misses = 0
            return key
        return None


class DigitMerger:
    """Drops a key reported twice, once as a protocol `dtmf` event and once from the audio
    (an edge may forward RFC 4733 events while the PBX also plays the tone in-band)."""

    def __init__(self, window: float = 0.5):
        self.window = window
        self._recent: list[tuple[str, str, float]] = []   # (source, digit, time)

    def accept(self, source: str, digit: str, now: float) -> bool:
        self._recent = [r for r in self._recent if now - r[2] <= self.window]
        for i, (other, seen, _) in enumerate(self._recent):
            if other != source and seen == digit:
                del self._recent[i]   # paired: each report cancels at most one other
                return False
        self._recent.append((source, digit, now))
        return True


class DigitCollector:
    """Key presses into an extension number.

    The entry is finished by `#`, by a pause of `pause` seconds, or as soon as the digits equal
    a directory extension that no longer extension starts with. `*` starts the entry again;
    A-D are ignored.
    """

    def __init__(self, extensions: Iterable[str] = (), pause: float = 2.0):
        self.pause = pause
        self._buffer = ""
        self._last = 0.0
        self.extensions = set(extensions)

    @property
    def pending(self) -> str:
        return self._buffer

    def press(self, digit: str, now: float) -> str | None:
        """Add a key; the finished entry, if this key finished it."""
        if digit == "#":
            return self._finish()
        if digit == "*":
            self._buffer = ""
            return None
        if not digit.isdigit():
            return None
        self._buffer += digit
        self._last = now
        if self._buffer in self.extensions and not any(
                e != self._buffer and e.startswith(self._buffer) for e in self.extensions):
            return self._finish()
        return None

    def poll(self, now: float) -> str | None:
        """The entry, once the caller has paused long enough after the last key."""
        if self._buffer and now - self._last >= self.pause:
            return self._finish()
        return None

    def reset(self) -> None:
        self._buffer = ""

    def _finish(self) -> str | None:
        entry, self._buffer = self._buffer, ""
        return entry or None
