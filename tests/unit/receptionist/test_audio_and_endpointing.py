"""Telephone audio helpers and cutting the caller's audio into utterances."""

from __future__ import annotations

import numpy as np

from agents.receptionist.audio import (frames, level_dbfs, pcm_to_ulaw, ulaw_to_pcm,
                                            upsample_2x)
from agents.receptionist.callers import render, synthesise
from agents.receptionist.dtmf import tone
from agents.receptionist.vad import Endpointer, Pause, SpeechStarted, Utterance


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


def test_speech_starts_then_pauses_then_ends(speech):
    said = speech("put me through to billing")   # with line noise before and after
    quiet = np.zeros(8000, dtype=np.int16)
    events = feed(Endpointer(), np.concatenate([quiet, said, quiet, quiet]))
    assert [type(e) for _, e in events] == [SpeechStarted, Pause, Pause, Utterance]
    (start, _), (paused, pause), (paused_again, again), (end, utterance) = events
    words = 1 + np.flatnonzero(np.abs(said) > 2000)[[0, -1]] / 8000
    assert words[0] <= start < words[0] + 0.4
    assert words[1] + 0.1 <= paused <= words[1] + 0.3     # about 160 ms of quiet: a Pause
    assert abs(paused_again - paused - 0.14) < 1e-9       # and at 300 ms another
    assert words[1] + 0.6 <= end <= words[1] + 0.9        # about 700 ms ends the utterance
    # nothing was said after the Pauses: the same utterance, the same 300 ms of quiet kept
    # (the first Pause's 160 ms of it made up to 300 by repeating it)
    assert pause.key == again.key == utterance.key and utterance.number == pause.utterance == 1
    assert np.array_equal(again.audio, utterance.audio)
    assert pause.audio.size == utterance.audio.size == pause.voice_end + 300 * 8
    heard_by_then = pause.voice_end + 160 * 8
    assert np.array_equal(pause.audio[:heard_by_then], utterance.audio[:heard_by_then])
    repeated = pause.audio[pause.voice_end + 20 * 8:heard_by_then]   # its last 140 ms
    assert np.array_equal(pause.audio[heard_by_then:], repeated)
    assert utterance.voiced_ms >= 500 and not utterance.truncated


def test_quiet_words_keep_an_utterance_going_but_do_not_start_one():
    """Line noise at -48 dBFS; "reception" at -24 dBFS, then "please" at -44 dBFS, 4 dB above
    the noise: enough to go on with speech that has started, not enough to start it."""
    rng = np.random.default_rng(3)
    noise = lambda n: rng.normal(0, 130, n)   # -48 dBFS

    def at(samples, dbfs):
        samples = samples.astype(float)
        return samples * 10 ** ((dbfs - level_dbfs(samples)) / 20)

    loud, quiet = at(synthesise("reception", "espeak"), -24), at(synthesise("please", "espeak"), -44)
    line = lambda *parts: np.clip(np.concatenate(parts) + noise(sum(p.size for p in parts)),
                                  -32768, 32767).astype(np.int16)
    def voiced(*parts) -> list[int]:
        events = feed(Endpointer(), line(np.zeros(8000), *parts, np.zeros(16000)))
        return [e.voiced_ms for _, e in events if isinstance(e, Utterance)]

    (both,), (alone,) = voiced(loud, np.zeros(800), quiet), voiced(loud)
    assert both >= alone + 80          # "please" counted as speech (with one 9 dB margin: +0..40)
    assert voiced(quiet) == []


def test_an_utterance_finished_at_its_pause_ends_there(speech):
    endpointer = Endpointer()
    said = speech("extension two one five")
    pauses = []
    for i in range(0, said.size, 160):
        for event in endpointer.feed(said[i:i + 160]):
            if isinstance(event, Pause):
                pauses.append(event)
                assert endpointer.finish(event.key)
            assert not isinstance(event, Utterance)
    assert len(pauses) == 1 and not endpointer.in_speech
    assert not endpointer.finish(pauses[0].key)   # once


def test_the_quiet_after_a_pause_counts_until_the_caller_speaks_again():
    endpointer = Endpointer()
    rendered = render("billing")
    word = ulaw_to_pcm(rendered.ulaw)[:int(rendered.speech_end * 8000)]   # no line after it
    events = feed(endpointer, np.concatenate([word, np.zeros(1600, np.int16)]))
    pauses = [e for _, e in events if isinstance(e, Pause)]
    assert len(pauses) == 1
    quiet = endpointer.quiet_ms(pauses[0].key)
    assert 160 <= quiet <= 300
    feed(endpointer, np.zeros(800, np.int16))
    assert endpointer.quiet_ms(pauses[0].key) == quiet + 100
    feed(endpointer, word)                                        # voice after the Pause
    assert endpointer.quiet_ms(pauses[0].key) is None
    assert not endpointer.finish(pauses[0].key) and endpointer.in_speech


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
