"""Fixed prompts the edge itself plays (not the agent), rendered once with espeak-ng."""

from __future__ import annotations

import audioop
import functools
import shutil
import subprocess

from aws_lambda_powertools import Logger

logger = Logger(service="edge-worker", child=True)

APOLOGY = "We're sorry, we can't take your call right now. Please try again in a moment."


@functools.cache
def speech(text: str) -> bytes:
    """Text as 8 kHz μ-law; empty (with one warning) when espeak-ng is not installed."""
    if shutil.which("espeak-ng") is None:
        logger.warning("espeak-ng is not installed; the edge's own prompts are silent")
        return b""
    # espeak-ng writes 22.05 kHz 16-bit mono WAV; skip its 44-byte header and resample.
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "--stdout", text],
                         check=True, capture_output=True, timeout=10).stdout
    pcm22k, _ = audioop.ratecv(wav[44:], 2, 1, 22050, 8000, None)
    return audioop.lin2ulaw(pcm22k, 2)


def apology() -> bytes:
    return speech(APOLOGY)
