"""The spoken path end to end: requests from the held-out report set, said in both voices over a
phone line (agents/receptionist/callers.py), streamed into the real receptionist server, which
must transfer to the right extension, or not at all.

A handful of requests as a regression check; `python -m agents.receptionist.bench` measures the
whole set (figures in docs/receptionist.md). Renders are cached under ~/.cache/smartalex/speech,
so only the first run on a machine synthesises (piper: about 1 s a request).
"""

from __future__ import annotations

import asyncio

import pytest

from agents.receptionist.bench import load_set
from agents.receptionist.callers import render
from agents.receptionist.conversation import Prompts
from agents.receptionist.tts import Synthesizer

from .fake_edge import FakeEdge

pytestmark = pytest.mark.timeout(180)

REPORT = load_set("report")
# (what the caller says, the extension it must reach, or None: it must not be transferred).
# Requests both voices get right in the bench today: a regression floor, not a sample (the
# bench's figures are far from all right; docs/receptionist.md).
SPOKEN = (
    ("could you put me through to Sarah Murphy please", "215"),
    ("extension two four zero", "240"),
    ("billing please", "215"),
    ("Linda please", None),                # nobody here by that name
)


@pytest.fixture(scope="module")
def synthesizer():
    return Synthesizer()   # the server's settings: its prompts render to the same bytes


@pytest.mark.parametrize("voice", ["espeak", "piper"])
@pytest.mark.parametrize("text, extension", SPOKEN)
def test_a_spoken_request_reaches_the_right_extension_or_none(receptionist, synthesizer, voice,
                                                              text, extension):
    async def run() -> None:
        async with FakeEdge(receptionist["url"], REPORT.directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()                  # the greeting has started
            await edge.stream(render(text, voice).ulaw)
            resolve = (await edge.expect("resolve", timeout=20))["resolve"]
            if extension is not None:
                transfer = await edge.expect("transfer", timeout=20)
                assert transfer["transfer"]["target"] == extension, resolve
                assert resolve.get("alternatives"), resolve   # the n-best went along
            else:
                reply = await edge.expect("mark", timeout=20)   # the answer, once played
                assert edge.prompt_before(reply).audio == synthesizer.render(
                    Prompts().no_match), resolve
                assert edge.events("transfer") == []
    asyncio.run(run())
