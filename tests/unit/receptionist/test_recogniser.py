"""The recogniser: Whisper steered by the directory, and what callers' words become."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agents.receptionist import lm, stt
from agents.receptionist.bench import DEMO_DIRECTORY
from agents.receptionist.stt import (Recognizer, SpeechService, Transcript, build_model,
                                     directory_key, heard, normalise)
from smartalex.domain.directory import DirectoryEntry


@pytest.fixture(scope="module")
def recognizer():
    return Recognizer(build_model(DEMO_DIRECTORY))


def test_the_directory_steers_the_prompt_and_the_vocabulary():
    model = build_model(DEMO_DIRECTORY)
    assert "Sarah Murphy" in model.prompt and "billing" in model.prompt
    assert {"Aoife", "Byrne", "HR", "billing", "extension", "five", "please", "yes"} \
        <= model.vocabulary
    assert "clean" not in model.vocabulary
    assert build_model(tuple(reversed(DEMO_DIRECTORY))).key == model.key
    assert directory_key(DEMO_DIRECTORY[:2]) != model.key


def test_a_request_is_heard_with_its_alternatives(recognizer, speech):
    transcript = recognizer.transcribe(speech("could you put me through to Sarah Murphy please",
                                              "piper"))
    assert "sarah murphy" in transcript.text
    assert transcript.alternatives and all(0 < w < 1 for _, w in transcript.alternatives)
    assert transcript.text not in [t for t, _ in transcript.alternatives]


def test_words_outside_the_directory_vocabulary_are_never_written(recognizer, speech):
    # Decoded freely, espeak-ng's "facilities please" over a phone line is "the bill had been
    # clean", and "clean" is a word the matcher reads as facilities (cleaning).
    said = recognizer.transcribe(speech("facilities please"))
    for hypothesis in (said.text, *(t for t, _ in said.alternatives)):
        assert "clean" not in hypothesis and "bill" not in hypothesis.split(), hypothesis


def test_line_noise_alone_is_heard_as_nothing(recognizer):
    noise = np.random.default_rng(1).normal(0, 60, 16000).astype(np.int16)
    assert recognizer.transcribe(noise).text == ""


def test_whisper_text_becomes_what_the_matcher_reads():
    assert normalise("Extension 2-1-5, please.") == "extension 215 please"
    assert normalise("Extension 2, 1, 5.") == "extension 215"
    assert normalise("IT, please.", frozenset({"IT"})) == "IT please"
    assert normalise("It's fine.", frozenset({"IT"})) == "it's fine"
    said = heard(Transcript("extension two one five", 1.0, 0.1, (("h r please", 0.2),)),
                 lm.acronyms(DEMO_DIRECTORY))
    assert said.text == said.raw == "extension 215"
    assert said.alternatives == (("HR please", 0.2),)


def test_other_weights_are_refused(monkeypatch, tmp_path):
    (tmp_path / "model.bin").write_bytes(b"not the pinned weights")
    monkeypatch.setattr(stt, "model_path", lambda: tmp_path)
    stt._verified_model_path.cache_clear()
    try:
        with pytest.raises(stt.RecogniserUnavailable, match="not the pinned Whisper"):
            stt._verified_model_path()
    finally:
        stt._verified_model_path.cache_clear()


def test_the_vocabulary_names_each_entry_in_several_ways():
    targets = lm.spoken_targets(DirectoryEntry("250", "Aoife Byrne", ("HR", "human resources")))
    assert ["aoife", "byrne"] in targets and ["aoife"] in targets and ["byrne"] in targets
    assert ["h", "r"] in targets and ["human", "resources"] in targets
    assert ["extension", "two", "five", "zero"] in targets
    assert {"aoife", "human", "resources", "connect", "sales", "nope", "nine"} \
        <= lm.vocabulary(DEMO_DIRECTORY)


def test_words_spell_out_digits_and_acronyms():
    assert lm.words("IT & HR, Team 2") == ["i", "t", "and", "h", "r", "team", "two"]
    assert lm.words("James O'Connor") == ["james", "o'connor"]


def test_spoken_digits_become_numbers():
    assert lm.digits_in("extension two one five please") == "extension 215 please"
    assert lm.digits_in("extension five") == "extension 5"
    assert lm.digits_in("the first one") == "the first one"


def test_spelled_acronyms_are_joined_back():
    known = lm.acronyms(DEMO_DIRECTORY)
    assert known == {"h r": "HR", "i t": "IT"}
    assert lm.join_acronyms("h r please", known) == "HR please"
    assert lm.join_acronyms("i think so", known) == "i think so"


def test_speech_service_builds_once_per_directory_and_decodes_in_workers(speech):
    async def scenario():
        service = SpeechService(processes=1, cache_size=1)
        try:
            await service.warm()
            first = await service.model(DEMO_DIRECTORY)
            assert await service.model(DEMO_DIRECTORY) is first
            said = await service.transcribe(first, speech("Michael Chen please", "piper"))
            other = await service.model(DEMO_DIRECTORY[:3])
            return first, said, other
        finally:
            service.close()

    first, said, other = asyncio.run(scenario())
    assert "michael chen" in said.text
    assert other.key != first.key


def test_weights_in_the_directory_the_environment_names_are_checked_by_digest(monkeypatch,
                                                                              tmp_path):
    pinned, weights = stt._verified_model_path()
    assert weights is stt.TINY_EN
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).symlink_to(pinned / name)
    monkeypatch.setenv(stt.WEIGHTS_DIR_ENV, str(tmp_path))
    stt._verified_model_path.cache_clear()
    try:
        assert stt._verified_model_path() == (tmp_path, stt.TINY_EN)
        stt._verified_model_path.cache_clear()
        (tmp_path / "model.bin").unlink()
        (tmp_path / "model.bin").write_bytes(b"someone else's weights")
        with pytest.raises(stt.RecogniserUnavailable, match=f"unset {stt.WEIGHTS_DIR_ENV}"):
            stt._verified_model_path()
        monkeypatch.setenv(stt.WEIGHTS_DIR_ENV, str(tmp_path / "missing"))
        with pytest.raises(stt.RecogniserUnavailable, match="cannot read the Whisper weights"):
            stt._verified_model_path()
    finally:
        stt._verified_model_path.cache_clear()


def test_a_directory_too_large_for_whispers_prompt_is_still_heard(speech):
    # Whisper's decoder has 448 positions for the prompt and what it writes; the prompt
    # naming all 92 entries would be about 900 tokens, and every decode failed.
    more = tuple(DirectoryEntry(str(1000 + i), f"Colleague {i:02d} Surname", (f"team {i:02d}",))
                 for i in range(80))
    model = build_model(DEMO_DIRECTORY + more)
    prompt, _ = stt.whisper().settings(model)
    assert len(prompt) + stt.MAX_NEW_TOKENS <= stt.DECODER_POSITIONS
    said = Recognizer(model).transcribe(speech("could you put me through to Sarah Murphy please",
                                               "piper"))
    assert "sarah murphy" in said.text
