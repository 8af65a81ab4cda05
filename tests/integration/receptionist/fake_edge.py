"""The edge's side of the agent protocol (docs/agent-protocol.md), as a test drives it.

It answers the agent's `directory` and `resolve` requests from a small directory with a simple
resolver written here (exact extension, else whole words of names and aliases), echoes marks
(as if the audio played the moment it arrived), and records everything the agent sends.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field

import numpy as np
from websockets.asyncio.client import connect

from agents.receptionist.audio import FRAME_BYTES, frames, pcm_to_ulaw
from agents.receptionist.lm import spoken_targets
from smartalex.domain.directory import DirectoryEntry

SILENCE = b"\xff" * FRAME_BYTES


def resolve(text: str, entries: tuple[DirectoryEntry, ...]) -> dict:
    """A `resolved` body: the entry whose extension is the text, else the entries whose name,
    first or last name, or alias appears as whole words in it."""
    words = f" {text.lower()} "
    by_extension = [e for e in entries if e.extension in text.split()]
    found = by_extension or [e for e in entries
                             if any(f" {' '.join(t)} " in words for t in spoken_targets(e))
                             or any(f" {a.lower()} " in words for a in e.aliases)]
    candidates = [{"extension": e.extension, "display_name": e.display_name,
                   "matched": e.display_name, "confidence": 0.9} for e in found]
    match = candidates[0] if len(candidates) == 1 else None
    return {"text": text, "match": match, "candidates": candidates}


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
        self._audio = bytearray()
        self._arrived = asyncio.Condition()
        self._sequence = 0
        self._started = time.monotonic()

    async def __aenter__(self) -> FakeEdge:
        self.ws = await connect(self.url)
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        params = {"from_number": "300", "to_number": "1000", "caller_name": "Caller Phone",
                  "trunk_id": "trunk-test", "extension": "1000", "did": ""}
        if self.greeting is not None:
            params["greeting"] = self.greeting
        await self._send({"event": "start", "streamSid": "MZtest", "start": {
            "streamSid": "MZtest", "accountSid": "tenant-test", "callSid": "call-test",
            "tracks": ["inbound"], "customParameters": params,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self._send({"event": "stop", "streamSid": "MZtest",
                              "stop": {"accountSid": "tenant-test", "callSid": "call-test"}})
        except Exception:
            pass
        self._reader.cancel()
        await self.ws.close()

    # --- sending, as the edge does ---
    async def _send(self, message: dict) -> None:
        if message["event"] not in ("connected",):
            self._sequence += 1
            message.setdefault("sequenceNumber", str(self._sequence))
        await self.ws.send(json.dumps(message))

    async def press(self, digit: str) -> None:
        await self._send({"event": "dtmf", "streamSid": "MZtest",
                          "dtmf": {"track": "inbound_track", "digit": digit}})

    async def stream(self, ulaw: bytes, speed: float = 4.0) -> None:
        """Caller audio as 20 ms media messages, `speed` times faster than real time."""
        for chunk in frames(ulaw):
            elapsed = int((time.monotonic() - self._started) * 1000)
            await self._send({"event": "media", "streamSid": "MZtest", "media": {
                "track": "inbound", "chunk": str(self._sequence), "timestamp": str(elapsed),
                "payload": base64.b64encode(chunk).decode()}})
            await asyncio.sleep(0.02 / speed)

    async def stream_pcm(self, samples: np.ndarray, speed: float = 4.0) -> None:
        await self.stream(pcm_to_ulaw(samples), speed)

    async def silence(self, seconds: float, speed: float = 4.0) -> None:
        await self.stream(SILENCE * int(seconds * 50), speed)

    async def transfer_status(self, target: str, status: str, **extra) -> None:
        await self._send({"event": "transfer", "streamSid": "MZtest", "transfer": {
            "target": target, "status": status, "extension": target, "display_name": None,
            "sip_code": extra.get("sip_code"), "reason": extra.get("reason"), "candidates": []}})

    # --- what the agent sends ---
    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            event = message.get("event")
            if event == "media":
                self._audio += base64.b64decode(message["media"]["payload"])
            elif event == "mark":
                self.prompts.append(Prompt(message["mark"]["name"], bytes(self._audio)))
                self._audio.clear()
                await self._send({"event": "mark", "streamSid": "MZtest",
                                  "mark": {"name": message["mark"]["name"]}})
            elif event == "clear":
                if self._audio:
                    self.prompts.append(Prompt(None, bytes(self._audio)))
                self._audio.clear()
            elif event == "directory":
                await self._send({"event": "directory", "streamSid": "MZtest", "directory": {
                    "entries": [{"extension": e.extension, "display_name": e.display_name,
                                 "aliases": list(e.aliases)} for e in self.entries]}})
            elif event == "resolve":
                await self._send({"event": "resolved", "streamSid": "MZtest",
                                  "resolved": resolve(message["resolve"]["text"], self.entries)})
            if event != "media":
                self.received.append(message)
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
