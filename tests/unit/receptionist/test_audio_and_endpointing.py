"""Telephone audio helpers and cutting the caller's audio into utterances."""

from __future__ import annotations

import numpy as np

from agents.receptionist.audio import (frames, level_dbfs, pcm_to_ulaw, ulaw_to_pcm,
                                            upsample_2x)
from agents.receptionist.dtmf import tone
from agents.receptionist.vad import Endpointer, SpeechStarted, Utterance


def test_ulaw_round_trip_is_within_a_quantisation_step():
    x = np.linspace(-30000, 30000, 2001).astype(np.int16)
    back = ulaw_to_pcm(pcm_to_ulaw(x)).astype(int)
    assert np.all(np.abs(back - x) <= np.maximum(np.abs(x) // 16, 8))
    assert pcm_to_ulaw(np.zeros(3, dtype=np.int16)) == b"\xff\xff\xff"


def test_upsampling_keeps_a_tone_and_doubles_the_rate():
    t = np.arange(800) / 8000
    x = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    y = upsample_2x(x)
    assert y.size == 1600
    spectrum = np.abs(np.fft.rfft(y[200:1400] * np.hanning(1200)))
    peak_hz = np.argmax(spectrum) * 16000 / 1200
    assert abs(peak_hz - 1000) < 20
    image = spectrum[int(7000 * 1200 / 16000)]   # the 7 kHz mirror image is filtered out
    assert image < spectrum.max() / 100


def test_frames_are_160_bytes_and_the_last_is_padded_with_silence():
    out = frames(b"\x01" * 400)
    assert [len(f) for f in out] == [160, 160, 160]
    assert out[-1].endswith(b"\xff" * 80)


def feed(endpointer: Endpointer, audio: np.ndarray, tone_flag: bool = False) -> list:
    events = []
    for i in range(0, audio.size, 160):
        events += [(i / 8000, e) for e in endpointer.feed(audio[i:i + 160], tone=tone_flag)]
    return events


def test_speech_starts_then_ends_after_a_pause(speech):
    said = speech("put me through to billing")
    quiet = np.zeros(8000, dtype=np.int16)
    events = feed(Endpointer(), np.concatenate([quiet, said, quiet, quiet]))
    assert [type(e) for _, e in events] == [SpeechStarted, Utterance]
    (start, _), (end, utterance) = events
    assert 1.0 <= start < 1.4
    speech_end = 1 + np.flatnonzero(np.abs(said) > 300)[-1] / 8000   # espeak-ng pads a little
    assert speech_end + 0.6 <= end <= speech_end + 0.9   # about 700 ms of silence ends it
    assert said.size / 8000 - 0.3 < utterance.seconds < said.size / 8000 + 1.0
    assert utterance.voiced_ms >= 500 and not utterance.truncated


def test_long_speech_is_cut_at_six_seconds(speech):
    said = speech("I would like to speak to somebody about my account, it is about the bill "
                  "that came last week and I think it is wrong, can you help me with it please")
    events = feed(Endpointer(), said)
    utterances = [e for _, e in events if isinstance(e, Utterance)]
    assert utterances[0].truncated and abs(utterances[0].seconds - 6.0) < 0.05


def test_line_noise_is_not_speech():
    rng = np.random.default_rng(1)
    for rms in (30, 300, 1000):
        assert feed(Endpointer(), rng.normal(0, rms, 5 * 8000).astype(np.int16)) == []


def test_keypad_tones_flagged_by_the_detector_are_not_speech():
    keys = np.concatenate([tone("2", 0.3), np.zeros(800, np.int16), tone("5", 0.3)])
    assert feed(Endpointer(), keys, tone_flag=True) == []


def test_levels():
    assert level_dbfs(np.zeros(10, dtype=np.int16)) == float("-inf")
    assert abs(level_dbfs(np.full(10, 16384, dtype=np.int16)) + 6.02) < 0.01
