"""Audio helpers for telephony tests: WAV files, G.711 μ-law, DTMF tones and detection, speech.

Everything is 16-bit signed mono PCM held in `array('h')`, 8 kHz unless said otherwise — what a
phone call carries. Pure Python (no audioop, which is deprecated), fast enough for seconds of audio.
Used by tests and by tests/support/phone.py (in-band DTMF).
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import tempfile
import wave
from array import array
from pathlib import Path

SAMPLE_RATE = 8000
DTMF_KEYS = ("123A", "456B", "789C", "*0#D")
DTMF_LOW = (697, 770, 852, 941)  # rows
DTMF_HIGH = (1209, 1336, 1477, 1633)  # columns
_DIGIT_FREQS = {key: (DTMF_LOW[r], DTMF_HIGH[c])
                for r, row in enumerate(DTMF_KEYS) for c, key in enumerate(row)}
_FREQ_DIGIT = {freqs: key for key, freqs in _DIGIT_FREQS.items()}


# --- WAV files ---------------------------------------------------------------

def write_wav(path: str | Path, samples, rate: int = SAMPLE_RATE) -> Path:
    """Write 16-bit mono PCM."""
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array("h", samples).tobytes())
    return path


def read_wav(path: str | Path) -> tuple[array, int]:
    """(samples, rate) of a mono WAV: 16-bit PCM or G.711 μ-law (format 7)."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    fmt = body = None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", chunk[:16])
        elif cid == b"data":
            body = chunk
        pos += 8 + size + (size & 1)
    if fmt is None or body is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if channels != 1:
        raise ValueError(f"{path}: {channels} channels, expected mono")
    if tag == 1 and bits == 16:
        return array("h", body[:len(body) // 2 * 2]), rate
    if tag == 7 and bits == 8:
        return ulaw_decode(body), rate
    raise ValueError(f"{path}: unsupported WAV format tag {tag} / {bits} bits")


def write_ulaw_wav(path: str | Path, samples, rate: int = SAMPLE_RATE) -> Path:
    """Write a G.711 μ-law WAV (format tag 7), e.g. for sipp's rtp_stream with payload type 0."""
    body = ulaw_encode(samples)
    fmt = struct.pack("<HHIIHHH", 7, 1, rate, rate, 1, 8, 0)
    fact = struct.pack("<I", len(body))
    riff = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", 4)
            + fact + b"data" + struct.pack("<I", len(body)) + body + b"\0" * (len(body) & 1))
    path = Path(path)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)
    return path


# --- G.711 μ-law -------------------------------------------------------------

_BIAS = 0x84


def _ulaw_byte(sample: int) -> int:
    # Sun's g711.c on a 14-bit value, as pjmedia and audioop do (so bytes match theirs exactly).
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    value = min(abs(value), 8159) + (_BIAS >> 2)
    segment = value.bit_length() - 6  # 0..8
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def _ulaw_sample(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -magnitude if byte & 0x80 else magnitude


_ENCODE = bytes(_ulaw_byte(s) for s in range(-32768, 32768))
_DECODE = array("h", (_ulaw_sample(b) for b in range(256)))


def ulaw_encode(samples) -> bytes:
    """16-bit PCM samples -> μ-law bytes (ITU-T G.711)."""
    return bytes(_ENCODE[s + 32768] for s in samples)


def ulaw_decode(data: bytes) -> array:
    """μ-law bytes -> 16-bit PCM samples."""
    return array("h", (_DECODE[b] for b in data))


# --- signals -----------------------------------------------------------------

def rms(samples) -> float:
    n = len(samples)
    return math.sqrt(sum(s * s for s in samples) / n) if n else 0.0


def tone(freqs, ms: int, rate: int = SAMPLE_RATE, amplitude: float = 0.25) -> array:
    """Sum of sines (`amplitude` of full scale each) lasting `ms` milliseconds."""
    freqs = (freqs,) if isinstance(freqs, (int, float)) else tuple(freqs)
    n = rate * ms // 1000
    peak = amplitude * 32767
    steps = [2 * math.pi * f / rate for f in freqs]
    return array("h", (int(peak * sum(math.sin(w * i) for w in steps)) for i in range(n)))


def silence(ms: int, rate: int = SAMPLE_RATE) -> array:
    return array("h", bytes(2 * (rate * ms // 1000)))


def dtmf_samples(digits: str, rate: int = SAMPLE_RATE, tone_ms: int = 80, gap_ms: int = 80,
                 amplitude: float = 0.25) -> array:
    """Keypad tones: a gap, then tone + gap per digit (0-9 * # A-D)."""
    out = silence(gap_ms, rate)
    for digit in digits.upper():
        if digit not in _DIGIT_FREQS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        out += tone(_DIGIT_FREQS[digit], tone_ms, rate, amplitude)
        out += silence(gap_ms, rate)
    return out


def write_dtmf_wav(digits: str, path: str | Path, rate: int = SAMPLE_RATE, **kw) -> Path:
    """An 8 kHz 16-bit mono WAV of `digits` (80 ms tone / 80 ms gap by default)."""
    return write_wav(path, dtmf_samples(digits, rate, **kw), rate)


def _goertzel_power(block, rate: int, freq: float) -> float:
    """Energy of `block` at `freq`, on the same scale as sum(x*x) (a sine gives its energy)."""
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in block:
        s1, s2 = x + coeff * s1 - s2, s1
    return 2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / len(block)


def detect_dtmf(samples, rate: int = SAMPLE_RATE, block_ms: float = 25.6,
                min_rms: float = 200.0) -> str:
    """Digits found in in-band audio (Goertzel). A digit needs two blocks in a row (~50 ms)."""
    n = int(rate * block_ms / 1000)
    found, current, run = [], None, 0
    for start in range(0, len(samples) - n + 1, n):
        block = samples[start:start + n]
        energy = sum(x * x for x in block)
        digit = None
        if energy > n * min_rms * min_rms:
            low = [(_goertzel_power(block, rate, f), f) for f in DTMF_LOW]
            high = [(_goertzel_power(block, rate, f), f) for f in DTMF_HIGH]
            (pl, fl), (ph, fh) = max(low), max(high)
            # both tones present, together most of the energy, twist within ~8 dB
            if pl + ph > 0.6 * energy and min(pl, ph) > max(pl, ph) / 6:
                digit = _FREQ_DIGIT[(fl, fh)]
        if digit == current:
            run += 1
        else:
            current, run = digit, 1
        if digit and run == 2:
            found.append(digit)
    return "".join(found)


# --- speech ------------------------------------------------------------------

def speech_tools_missing() -> list[str]:
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def render_speech(text: str, path: str | Path, voice: str = "en-us", speed: int = 160,
                  rate: int = SAMPLE_RATE) -> Path:
    """Synthesize `text` (espeak-ng) and convert it (sox) to a `rate` Hz mono 16-bit WAV."""
    missing = speech_tools_missing()
    if missing:
        raise RuntimeError(f"render_speech needs {' and '.join(missing)}: "
                           "apt-get install -y espeak-ng sox")
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), "--", text],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16",
                        "-e", "signed-integer", str(path)],
                       check=True, capture_output=True, timeout=60)
    return path
