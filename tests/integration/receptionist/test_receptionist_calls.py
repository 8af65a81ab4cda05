"""Calls to the real receptionist server, with the test playing the edge."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from agents.receptionist.callers import render
from agents.receptionist.dtmf import tone
from agents.receptionist.tts import Synthesizer

from .fake_edge import FakeEdge

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def synthesizer():
    return Synthesizer()   # the server's settings: its prompts render to the same bytes


def run(coroutine):
    return asyncio.run(coroutine)


def test_keyed_extension_is_announced_then_transferred(receptionist, directory, synthesizer):
    async def call():
        async with FakeEdge(receptionist["url"], directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()          # the greeting has started
            for digit in "215":
                await edge.press(digit)
            await edge.expect("clear")        # the key press stopped the greeting
            transfer = await edge.expect("transfer", target="215")
            announced = edge.events("mark")[-1]
            assert edge.index(announced) < edge.index(transfer)   # played, then transferred
            assert edge.prompt_before(announced).audio == synthesizer.render(
                "Transferring you to Sarah Murphy.")
            assert edge.events("resolve")[0]["resolve"]["text"] == "215"
            await edge.transfer_status("215", "accepted")
            await edge.transfer_status("215", "completed", sip_code=200)
            await asyncio.sleep(0.3)
            assert not edge.events("hangup")  # the edge ends the call after a transfer
    run(call())


def test_spoken_department_interrupts_the_greeting_and_is_transferred(receptionist, directory):
    async def call():
        async with FakeEdge(receptionist["url"], directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()
            await edge.silence(0.5)
            # piper's voice: Whisper hears espeak-ng's formant voice far less reliably
            # (docs/receptionist.md, Measured); this test is about barge-in, not accuracy.
            await edge.stream(render("put me through to billing", "piper").ulaw)
            clear = await edge.expect("clear")           # barge-in: the greeting stopped
            await edge.silence(1.0)
            resolve = await edge.expect("resolve", timeout=15)
            assert "billing" in resolve["resolve"]["text"]
            assert edge.index(clear) < edge.index(resolve)
            await edge.expect("transfer", target="215")
            assert edge.prompts[0].mark is None           # the greeting was cut short
    run(call())


def test_calls_at_the_same_time_do_not_mix(receptionist, directory):
    async def call(keys: str, target: str):
        async with FakeEdge(receptionist["url"], directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()
            for key in keys:
                await edge.press(key)
            await edge.expect("transfer", target=target)
            assert [m["transfer"]["target"] for m in edge.events("transfer")] == [target]

    async def calls():
        await asyncio.gather(call("100", "100"), call("240", "240"), call("270", "270"),
                             call("215", "215"))
    run(calls())


def test_the_agent_answers_at_once_and_ignores_what_it_does_not_know(receptionist, directory):
    async def call():
        async with FakeEdge(receptionist["url"], directory) as edge:
            started = asyncio.get_running_loop().time()
            await edge.expect("directory")
            assert asyncio.get_running_loop().time() - started < 1.0
            assert edge.received[0]["event"] == "directory"
            await edge.ws.send("not json")
            await edge.ws.send('{"event": "something-new", "x": 1}')
            await edge.ws.send('{"event": "dtmf"}')                     # malformed
            await edge.ws.send('{"event": "media", "media": {"payload": "%%%"}}')
            await edge.press("1")
            await edge.press("0")
            await edge.press("0")
            await edge.expect("transfer", target="100")
    run(call())


def test_in_band_tones_are_heard_as_keys(receptionist, directory):
    async def call():
        async with FakeEdge(receptionist["url"], directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()
            noise = np.random.default_rng(7).normal(0, 60, 800)
            keyed = [noise]
            for digit in "215":
                keyed += [tone(digit, 0.08, level=5000), noise]
            await edge.stream_pcm(np.concatenate(keyed), speed=2)
            await edge.silence(0.5)
            await edge.expect("transfer", target="215")
            assert [m["resolve"]["text"] for m in edge.events("resolve")] == ["215"]
    run(call())


def test_failed_transfer_brings_an_apology_and_the_call_goes_on(receptionist, directory,
                                                                synthesizer):
    apology = "Sorry, I couldn't put you through to Sarah Murphy. Who else can I help you reach?"

    async def call():
        async with FakeEdge(receptionist["url"], directory) as edge:
            await edge.expect("directory")
            await edge.first_audio()
            for digit in "215#":
                await edge.press(digit)
            await edge.expect("transfer", target="215")
            await edge.transfer_status("215", "accepted")
            await edge.transfer_status("215", "failed", sip_code=404, reason="Not Found")
            marks = len(edge.events("mark"))
            await asyncio.wait_for(_until(lambda: len(edge.events("mark")) > marks), 15)
            assert edge.prompt_before(edge.events("mark")[-1]).audio == synthesizer.render(apology)
            await asyncio.sleep(0.5)
            assert not edge.events("hangup")
            assert len(edge.events("transfer")) == 1
    run(call())


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.05)
