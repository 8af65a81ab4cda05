"""Prompts as 8 kHz μ-law audio: espeak-ng renders a WAV, sox resamples and encodes it.

espeak-ng renders at about 100x real time (docs/measurements/offline-speech.md), and the same few prompts repeat on
every call, so rendered prompts are kept in an LRU cache keyed by their text.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections import OrderedDict

from .exceptions import SynthesisFailed, ToolMissing

INSTALL_HINT = "install them with `apt-get install espeak-ng sox` (scripts/install-system-deps.sh)"


def require_tools(*names: str) -> dict[str, str]:
    """Absolute paths of the named programs; ToolMissing naming every one that is absent."""
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ToolMissing(f"{', '.join(missing)} not found on PATH; {INSTALL_HINT}")
    return found  # type: ignore[return-value]


class Synthesizer:
    """Text to telephone audio (8000 Hz, mono, μ-law bytes), with an LRU cache by text."""

    def __init__(self, voice: str = "en-us", words_per_minute: int = 160,
                 cache_size: int = 128, timeout: float = 10.0):
        tools = require_tools("espeak-ng", "sox")
        self._espeak = [tools["espeak-ng"], "-v", voice, "-s", str(words_per_minute),
                        "--stdin", "--stdout"]
        # -D: no dither, so a prompt renders to the same bytes every time; --ignore-length:
        # espeak-ng streams its WAV with a placeholder length.
        self._sox = [tools["sox"], "-D", "--ignore-length", "-t", "wav", "-",
                     "-t", "raw", "-r", "8000", "-c", "1", "-e", "mu-law", "-b", "8", "-",
                     "norm", "-3"]
        self._timeout = timeout
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # renders run in executor threads

    def render(self, text: str) -> bytes:
        text = " ".join(text.split())
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        audio = self._render(text)
        with self._lock:
            self._cache[text] = audio
            self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return audio

    def cached(self, text: str) -> bool:
        with self._lock:
            return " ".join(text.split()) in self._cache

    def _render(self, text: str) -> bytes:
        if not text:
            return b""
        try:
            wav = subprocess.run(self._espeak, input=text.encode(), capture_output=True,
                                 timeout=self._timeout, check=True).stdout
            ulaw = subprocess.run(self._sox, input=wav, capture_output=True,
                                  timeout=self._timeout, check=True).stdout
        except subprocess.CalledProcessError as exc:
            raise SynthesisFailed(f"{exc.cmd[0]} exited with {exc.returncode}: "
                                  f"{exc.stderr.decode(errors='replace').strip()[:200]}") from exc
        except subprocess.TimeoutExpired as exc:
            raise SynthesisFailed(f"{exc.cmd[0]} took longer than {self._timeout}s") from exc
        if not ulaw:
            raise SynthesisFailed("espeak-ng and sox produced no audio")
        return ulaw
