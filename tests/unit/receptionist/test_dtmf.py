"""In-band DTMF detection (Goertzel) and how key presses become an extension."""

from __future__ import annotations

import numpy as np
import pytest

from agents.receptionist.audio import pcm_to_ulaw, ulaw_to_pcm
from agents.receptionist.dtmf import (COLUMNS, KEYS, ROWS, DigitCollector, DigitMerger,
                                           ToneDetector, tone)

ALL_KEYS = "".join(KEYS)


def phone_line(samples: np.ndarray, noise: float, seed: int = 0) -> np.ndarray:
    """Samples with white noise, through μ-law and back, as they reach the agent."""
    rng = np.random.default_rng(seed)
    noisy = samples.astype(np.float64) + rng.normal(0, noise, samples.size)
    return ulaw_to_pcm(pcm_to_ulaw(noisy))


def keyed(keys: str, on: float = 0.07, off: float = 0.06, level: float = 6000) -> np.ndarray:
    gap = np.zeros(int(off * 8000), dtype=np.int16)
    parts = [gap]
    for key in keys:
        parts += [tone(key, on, level), gap]
    return np.concatenate(parts)


@pytest.mark.parametrize("key", list(ALL_KEYS))
@pytest.mark.parametrize("noise", [0, 300, 800])
def test_detects_each_of_the_16_keys_in_noise(key, noise):
    assert ToneDetector().feed(phone_line(keyed(key), noise, seed=ord(key))) == [key]


def test_detects_a_dialled_sequence_fed_in_20_ms_frames():
    audio = phone_line(keyed("2150#", on=0.06, off=0.05), noise=200)
    detector = ToneDetector()
    found = [k for i in range(0, audio.size, 160) for k in detector.feed(audio[i:i + 160])]
    assert found == list("2150#")


def test_a_held_key_counts_once_and_a_repeated_key_twice():
    assert ToneDetector().feed(keyed("5", on=1.0)) == ["5"]
    assert ToneDetector().feed(keyed("11")) == ["1", "1"]


def test_tones_shorter_than_about_40_ms_are_not_keys():
    assert ToneDetector().feed(keyed("7", on=0.03)) == []


def test_quiet_tones_below_the_floor_are_ignored():
    assert ToneDetector().feed(keyed("9", level=100)) == []


def test_rejects_tones_with_too_much_twist():
    t = np.arange(800) / 8000
    row_only_loud = (6000 * np.sin(2 * np.pi * ROWS[0] * t)
                     + 600 * np.sin(2 * np.pi * COLUMNS[0] * t))   # 20 dB of twist
    assert ToneDetector().feed(row_only_loud.astype(np.int16)) == []


def _vowel(f0: float, formants: tuple[float, ...], seconds: float, seed: int) -> np.ndarray:
    """A crude voiced sound: a glottal pulse train at f0 shaped by formant resonances,
    with jitter, the kind of harmonic-rich audio a DTMF detector must not mistake."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 8000)
    t = np.arange(n) / 8000
    f = f0 * (1 + 0.03 * np.sin(2 * np.pi * 3 * t) + rng.normal(0, 0.005, n))
    phase = 2 * np.pi * np.cumsum(f) / 8000
    signal = np.zeros(n)
    for h in range(1, int(3800 / f0)):
        freq = h * f0
        gain = sum(1 / (1 + ((freq - fm) / 90) ** 2) for fm in formants)
        signal += gain * np.sin(h * phase) / h ** 0.5
    return (signal / np.max(np.abs(signal)) * 12000).astype(np.int16)


@pytest.mark.parametrize("f0,formants", [
    (110, (730, 1090, 2440)),   # "ah", male
    (120, (270, 2290, 3010)),   # "ee"
    (210, (850, 1220, 2810)),   # "ah", female: formants near the DTMF bands
    (230, (700, 1250, 2600)),
    (100, (940, 1340, 2500)),   # formants right on a row and a column tone
])
def test_rejects_voiced_speech_like_sounds(f0, formants):
    audio = phone_line(_vowel(f0, formants, 2.0, seed=int(f0)), noise=50)
    assert ToneDetector().feed(audio) == []


def test_rejects_noise_and_music_like_chords():
    rng = np.random.default_rng(3)
    assert ToneDetector().feed(phone_line(rng.normal(0, 4000, 16000).astype(np.int16), 0)) == []
    t = np.arange(16000) / 8000
    chord = sum(np.sin(2 * np.pi * f * t) for f in (440, 554, 659, 880))   # A major
    assert ToneDetector().feed((chord * 3000).astype(np.int16)) == []


def test_rejects_synthetic_speech(speech):
    assert ToneDetector().feed(speech("Can I speak to one of your sales people, please?")) == []


# --- collecting keys into an extension ---
def test_hash_finishes_the_entry():
    digits = DigitCollector({"215", "2150"})
    assert [digits.press(k, 0.0) for k in "215"] == [None, None, None]
    assert digits.press("#", 0.5) == "215"


def test_entry_finishes_at_once_when_it_is_an_extension_no_longer_one_starts_with():
    digits = DigitCollector({"100", "215", "2150"})
    assert [digits.press(k, 0.0) for k in "100"] == [None, None, "100"]
    assert digits.press("2", 1.0) is None


def test_entry_waits_when_a_longer_extension_starts_with_it_and_finishes_after_a_pause():
    digits = DigitCollector({"215", "2150"})
    for k in "215":
        assert digits.press(k, 10.0) is None
    assert digits.poll(11.9) is None
    assert digits.poll(12.0) == "215"
    assert digits.pending == ""


def test_unknown_numbers_finish_after_the_pause_too():
    digits = DigitCollector({"215"})
    digits.press("9", 0.0)
    digits.press("9", 1.5)
    assert digits.poll(3.4) is None
    assert digits.poll(3.5) == "99"


def test_star_starts_again_and_letters_are_ignored():
    digits = DigitCollector({"215"})
    for k in "9*A21":
        digits.press(k, 0.0)
    assert digits.press("5", 0.0) == "215"


def test_hash_alone_is_not_an_entry():
    assert DigitCollector({"215"}).press("#", 0.0) is None


def test_a_key_reported_both_as_event_and_as_tone_counts_once():
    merger = DigitMerger(window=0.5)
    assert merger.accept("event", "2", 0.00)
    assert not merger.accept("in-band", "2", 0.12)
    assert merger.accept("in-band", "1", 0.30)
    assert not merger.accept("event", "1", 0.35)
    assert merger.accept("event", "1", 0.60)      # a second press of the same key
    assert merger.accept("in-band", "5", 2.0)
    assert merger.accept("in-band", "5", 2.2)     # same source twice: two presses
