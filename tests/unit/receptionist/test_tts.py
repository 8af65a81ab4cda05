"""Prompts rendered to telephone audio, and what happens without espeak-ng or sox."""

from __future__ import annotations

import shutil

import pytest

from agents.receptionist import tts
from agents.receptionist.exceptions import ToolMissing


@pytest.fixture(scope="module")
def synthesizer():
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.fail("espeak-ng and sox are needed: scripts/install-system-deps.sh installs them")
    return tts.Synthesizer(cache_size=2)


def test_renders_8_khz_ulaw_the_same_every_time(synthesizer):
    audio = synthesizer.render("Transferring you to Sarah Murphy.")
    assert 1.5 < len(audio) / 8000 < 3.5            # seconds at 8000 one-byte samples
    assert tts.Synthesizer().render("Transferring  you to Sarah Murphy.") == audio


def test_prompts_are_cached_by_text_least_recently_used_first_out(synthesizer):
    synthesizer.render("One.")
    synthesizer.render("Two.")
    synthesizer.render("One.")
    synthesizer.render("Three.")
    assert synthesizer.cached("One.") and synthesizer.cached("Three.")
    assert not synthesizer.cached("Two.")


def test_missing_programs_are_named_with_the_fix(monkeypatch):
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match=r"espeak-ng, sox not found.*apt-get install espeak-ng sox"):
        tts.Synthesizer()
