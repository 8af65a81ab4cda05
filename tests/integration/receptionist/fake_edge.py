"""The edge's side of the agent protocol (docs/agent-protocol.md), as a test drives it.

It answers the agent's `directory` and `resolve` requests from a small directory with the
edge's own matcher (smartalex.domain.matching_hypotheses, as edge/media/stream.py does), echoes
marks (as if the audio played the moment it arrived), and records everything the agent sends.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.asyncio.client import connect

from agents.receptionist.audio import FRAME_BYTES, frames, pcm_to_ulaw
from smartalex.domain import agent_protocol as protocol
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.matching import Matcher
from smartalex.domain.matching_hypotheses import resolve_hypotheses

SILENCE = b"\xff" * FRAME_BYTES


@dataclass
class Prompt:
    mark: str | None        # None: cleared before its mark arrived
    audio: bytes


@dataclass
class FakeEdge:
    url: str
    entries: tuple[DirectoryEntry, ...]
    greeting: str | None = None
    received: list[dict] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.entries)
        self._audio = bytearray()
        self._arrived = asyncio.Condition()
        self._envelope = protocol.Envelope("MZtest")
        self._chunk = 0
        self._started = time.monotonic()

    async def __aenter__(self) -> FakeEdge:
        self.ws = await connect(self.url)
        await self._send(protocol.Connected())
        params = {"from_number": "300", "to_number": "1000", "caller_name": "Caller Phone",
                  "trunk_id": "trunk-test", "extension": "1000", "did": ""}
        if self.greeting is not None:
            params["greeting"] = self.greeting
        await self._send(protocol.Start("MZtest", "tenant-test", "call-test", params))
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self._send(protocol.Stop("tenant-test", "call-test"))
        except Exception:
            pass
        self._reader.cancel()
        await self.ws.close()

    # --- sending, as the edge does ---
    async def _send(self, message: protocol.EdgeMessage) -> None:
        await self.ws.send(json.dumps(self._envelope.wrap(message)))

    async def press(self, digit: str) -> None:
        await self._send(protocol.Dtmf(digit))

    async def stream(self, ulaw: bytes, speed: float = 4.0) -> None:
        """Caller audio as 20 ms media messages, `speed` times faster than real time."""
        for chunk in frames(ulaw):
            self._chunk += 1
            elapsed = int((time.monotonic() - self._started) * 1000)
            await self._send(protocol.CallerMedia(self._chunk, elapsed, chunk))
            await asyncio.sleep(0.02 / speed)

    async def stream_pcm(self, samples: np.ndarray, speed: float = 4.0) -> None:
        await self.stream(pcm_to_ulaw(samples), speed)

    async def silence(self, seconds: float, speed: float = 4.0) -> None:
        await self.stream(SILENCE * int(seconds * 50), speed)

    async def transfer_status(self, target: str, status: str, **extra) -> None:
        await self._send(protocol.TransferOutcome(
            target, protocol.TransferStatus(status), extension=target,
            sip_code=extra.get("sip_code"), reason=extra.get("reason")))

    # --- what the agent sends (kept as it was on the wire, media aside) ---
    async def _read(self) -> None:
        async for raw in self.ws:
            message = protocol.parse_agent_message(raw)
            if isinstance(message, protocol.Media):
                self._audio += message.payload
            elif isinstance(message, protocol.Mark):
                self.prompts.append(Prompt(message.name, bytes(self._audio)))
                self._audio.clear()
                await self._send(protocol.MarkPlayed(message.name))
            elif isinstance(message, protocol.Clear):
                if self._audio:
                    self.prompts.append(Prompt(None, bytes(self._audio)))
                self._audio.clear()
            elif isinstance(message, protocol.DirectoryRequest):
                await self._send(protocol.Directory(self.entries))
            elif isinstance(message, protocol.Resolve):
                await self._send(protocol.Resolved(message.text, resolve_hypotheses(
                    self.matcher, message.text, message.alternatives)))
            if not isinstance(message, protocol.Media):
                self.received.append(json.loads(raw))
            async with self._arrived:
                self._arrived.notify_all()

    async def expect(self, event: str, timeout: float = 10.0, **fields) -> dict:
        """The first message (media aside) of this event whose body has these fields."""
        def found() -> dict | None:
            for message in self.received:
                body = message.get(event, {})
                if message.get("event") == event and all(
                        body.get(k) == v for k, v in fields.items()):
                    return message
            return None

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(found), timeout)
        return found()

    async def first_audio(self, timeout: float = 10.0) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self._audio) > 0), timeout)

    def events(self, name: str) -> list[dict]:
        return [m for m in self.received if m.get("event") == name]

    def index(self, message: dict) -> int:
        return next(i for i, m in enumerate(self.received) if m is message)

    def prompt_before(self, mark_message: dict) -> Prompt:
        name = mark_message["mark"]["name"]
        return next(p for p in self.prompts if p.mark == name)
