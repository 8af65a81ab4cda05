"""The server's protocol pieces that need no connection: pacing prompt audio and marks. Pacing
runs on a virtual clock (virtual_clock.py), so its times are exact. (Reading the edge's answers
is the protocol module's: tests/unit/core/test_agent_protocol.py.)"""

from __future__ import annotations

import asyncio
import base64

import pytest

from agents.receptionist.player import Player
from smartalex.domain.agent_protocol import encode

from .virtual_clock import run


def test_prompt_audio_is_sent_in_20_ms_frames_in_real_time_then_its_mark():
    async def scenario():
        sent: list[tuple[float, dict]] = []
        loop = asyncio.get_running_loop()

        async def send(message):
            sent.append((loop.time(), encode(message)))

        player = Player(send, "MZ1", on_mark_overdue=lambda name: None)
        task = asyncio.create_task(player.run())
        player.play(b"\x7f" * 8000, "prompt-1")          # one second of audio
        await asyncio.sleep(1.5)
        task.cancel()
        return sent

    sent = run(scenario())
    media = [(t, m) for t, m in sent if m["event"] == "media"]
    assert len(media) == 50
    assert all(len(base64.b64decode(m["media"]["payload"])) == 160 for _, m in media)
    assert all(m["streamSid"] == "MZ1" for _, m in media)
    # Frame k leaves 60 ms before it is due to play (k × 20 ms): the first four at once, then
    # one every 20 ms, never a flood.
    assert [t for t, _ in media] == pytest.approx([max(0.0, k * 0.02 - 0.06) for k in range(50)])
    last_time, last = sent[-1]
    assert last == {"event": "mark", "streamSid": "MZ1", "mark": {"name": "prompt-1"}}
    assert last_time == pytest.approx(0.92)       # right after the last frame


def test_clear_drops_queued_audio_and_tells_the_edge():
    async def scenario():
        sent = []

        async def send(message):
            sent.append(encode(message))

        player = Player(send, "MZ1", on_mark_overdue=lambda name: None)
        task = asyncio.create_task(player.run())
        player.play(b"\x7f" * 8000, "prompt-1")
        await asyncio.sleep(0.1)
        await player.clear()
        count = len(sent)
        await asyncio.sleep(0.2)
        task.cancel()
        return sent, count

    sent, count = run(scenario())
    assert sent[count - 1] == {"event": "clear", "streamSid": "MZ1"}
    assert len(sent) == count                       # nothing after the clear
    assert not any(m["event"] == "mark" for m in sent)


def test_a_mark_that_never_comes_back_is_reported_overdue():
    async def scenario():
        overdue = []

        async def send(message):
            pass

        player = Player(send, "MZ1", on_mark_overdue=overdue.append)
        task = asyncio.create_task(player.run())
        player.play(b"\x7f" * 160, "prompt-1")
        player.play(b"\x7f" * 160, "prompt-2")
        await asyncio.sleep(0.1)
        player.echoed("prompt-2")
        now = asyncio.get_running_loop().time()
        player.check_overdue(now + 2.0)
        assert overdue == []
        player.check_overdue(now + 3.5)            # due 3 s after its audio ended (0.02 s)
        task.cancel()
        return overdue

    assert run(scenario()) == ["prompt-1"]
