"""Telephone audio: G.711 μ-law at 8 kHz, converted for the detectors and the recogniser.

The agent protocol carries 8 kHz mono μ-law (Twilio Media Streams); pocketsphinx's bundled
English model wants 16 kHz linear PCM, so speech is upsampled 2x before decoding.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000  # 160 μ-law bytes = 160 samples


def _ulaw_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_DECODE = _ulaw_table()
_BIAS = 0x84
_CLIP = 32635


def ulaw_to_pcm(data: bytes) -> np.ndarray:
    """μ-law bytes to int16 samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def pcm_to_ulaw(samples: np.ndarray) -> bytes:
    """int16 (or float in int16 range) samples to μ-law bytes (G.711, with the usual bias)."""
    x = np.clip(np.asarray(samples, dtype=np.int32), -_CLIP, _CLIP)
    sign = np.where(x < 0, 0x80, 0x00)
    magnitude = np.abs(x) + _BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def _halfband_taps(count: int = 63) -> np.ndarray:
    """Low-pass at a quarter of the output rate (4 kHz of 16 kHz): Hann-windowed sinc."""
    n = np.arange(count) - (count - 1) / 2
    taps = np.sinc(n / 2) * np.hanning(count)
    return taps / taps.sum() * 2  # gain 2 makes up for the inserted zeros


_TAPS = _halfband_taps()


def upsample_2x(samples: np.ndarray) -> np.ndarray:
    """8 kHz int16 to 16 kHz int16 (zero-stuffing and a windowed-sinc low-pass)."""
    if samples.size == 0:
        return np.zeros(0, dtype=np.int16)
    stuffed = np.zeros(samples.size * 2, dtype=np.float64)
    stuffed[::2] = samples
    out = np.convolve(stuffed, _TAPS, mode="same")
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def frames(ulaw: bytes, size: int = FRAME_BYTES) -> list[bytes]:
    """Split μ-law audio into `size`-byte frames; the last one is padded with silence (0xFF)."""
    out = [ulaw[i:i + size] for i in range(0, len(ulaw), size)]
    if out and len(out[-1]) < size:
        out[-1] = out[-1] + b"\xff" * (size - len(out[-1]))
    return out


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level relative to a full-scale int16 sine-free square (-inf for silence)."""
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20 * np.log10(rms / 32768) if rms > 0 else float("-inf")
