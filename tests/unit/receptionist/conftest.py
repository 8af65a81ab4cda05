"""Shared helpers for the receptionist's unit tests."""

from __future__ import annotations

import shutil

import pytest

from agents.receptionist.audio import ulaw_to_pcm


@pytest.fixture(scope="session")
def speech():
    """Synthetic speech as 8 kHz int16 samples (espeak-ng and sox, as a caller's line)."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.fail("espeak-ng and sox are needed: scripts/install-system-deps.sh installs them")
    from agents.receptionist.callers import render

    return lambda text, voice="espeak": ulaw_to_pcm(render(text, voice).ulaw)
