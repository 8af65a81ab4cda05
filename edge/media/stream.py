"""One call's WebSocket to its agent, speaking Twilio Media Streams (docs/agent-protocol.md).

Runs on the worker's LoopThread. What the pjsua2 thread must act on (the agent started, asked
for a transfer or a hang-up, went away) is put on `events`, which the worker drains in its pump
loop; nothing here calls pjsua2.
"""

from __future__ import annotations

import asyncio
import base64
import json
import queue
import time
import weakref
from dataclasses import dataclass
from typing import Any

import websockets
from aws_lambda_powertools import Logger

from smartalex.domain import agent_signature
from smartalex.domain.matching import Matcher
from smartalex.domain.targets import ANYWHERE, TargetGuard, TargetRefused

from .loop import LoopThread
from .port import AgentAudioPort

logger = Logger(service="edge-worker", child=True)

AGENT_START_TIMEOUT = 5.0


@dataclass(frozen=True)
class StreamEvent:
    kind: str  # "started" | "failed" | "transfer" | "hangup" | "closed"
    detail: Any = None


class MediaStream:
    def __init__(self, loop: LoopThread, url: str, start: dict[str, Any],
                 port: AgentAudioPort, matcher: Matcher, entries: list[dict],
                 targets: TargetGuard = ANYWHERE, signing_secret: str | None = None):
        self.loop, self.url, self.start_params = loop, url, start
        self.targets = targets
        self._signing_secret = signing_secret
        # Weak: the port is a pjsua2 object the call frees on the pjsua thread; a late agent
        # message must not keep it alive past libDestroy.
        self._port = weakref.ref(port)
        self.matcher, self.entries = matcher, entries
        self.stream_sid = start["streamSid"]
        self.events: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
        self._outbox: asyncio.Queue | None = None
        self._sequence = 0
        self._chunk = 0
        self._started = False
        self._closing = False

    # --- called from other threads ---
    def open(self) -> None:
        self.loop.submit(self._run())

    def caller_audio(self, ulaw: bytes) -> None:
        """pjmedia thread: 20 ms of caller audio."""
        if self._started and not self._closing:
            self.loop.call(self._media, ulaw)

    def send_event(self, event: str, **body: Any) -> None:
        """Send an edge event (dtmf, transfer outcome) from the pjsua thread."""
        self.loop.call(lambda: self._enqueue(self._envelope(event, **body)))

    def close(self) -> None:
        """Send `stop` and close the socket (the call is over)."""
        self.loop.call(self._stop)

    # --- the loop thread ---
    def _envelope(self, event: str, **body) -> dict[str, Any]:
        self._sequence += 1
        return {"event": event, "sequenceNumber": str(self._sequence),
                "streamSid": self.stream_sid, **body}

    def _enqueue(self, message: dict[str, Any]) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(message)

    def _media(self, ulaw: bytes) -> None:
        self._chunk += 1
        self._enqueue(self._envelope("media", media={
            "track": "inbound", "chunk": str(self._chunk),
            "timestamp": str((self._chunk - 1) * 20),
            "payload": base64.b64encode(ulaw).decode()}))

    def _stop(self) -> None:
        if not self._closing:
            self._closing = True
            self._enqueue(self._envelope("stop", stop={
                "accountSid": self.start_params["accountSid"],
                "callSid": self.start_params["callSid"]}))
            self._enqueue(None)

    async def _run(self) -> None:
        self._outbox = asyncio.Queue()
        try:
            async with asyncio.timeout(AGENT_START_TIMEOUT):
                ws = await websockets.connect(self.url, open_timeout=AGENT_START_TIMEOUT,
                                              max_size=2**20, additional_headers=self._signed(),
                                              **await self._destination())
            async with ws:
                await ws.send(json.dumps({"event": "connected", "protocol": "Call",
                                          "version": "1.0.0"}))
                await ws.send(json.dumps(self._envelope("start", start=self.start_params)))
                await self._converse(ws)
        except TargetRefused as refused:
            self.events.put(StreamEvent("failed", str(refused)))
            return
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            if not self._started:
                self.events.put(StreamEvent("failed", f"{type(exc).__name__}: {exc}"))
                return
            logger.warning("agent stream ended", extra={"error": str(exc)})
        self.events.put(StreamEvent("closed"))

    def _signed(self) -> dict[str, str]:
        """The handshake's signature headers (docs/agent-protocol.md), made now."""
        if self._signing_secret is None:
            return {}
        return agent_signature.headers(self._signing_secret, self.url, time.time())

    async def _destination(self) -> dict[str, str]:
        """Where to connect: checked right before connecting, whatever the API checked when the
        URL was saved (the name may resolve elsewhere now), and then exactly the address the
        check approved (the URL's name still goes in Host and the TLS handshake). Nothing to
        pin where every address is allowed (the local stages)."""
        addresses = await asyncio.to_thread(self.targets.check_url, self.url,
                                            "The agent's stream URL")
        return {"host": addresses[0]} if addresses else {}

    async def _converse(self, ws) -> None:
        sender = asyncio.ensure_future(self._send_loop(ws))
        try:
            first = await asyncio.wait_for(ws.recv(), AGENT_START_TIMEOUT)
            self._started = True
            self.events.put(StreamEvent("started"))
            self._receive(first)
            async for raw in ws:
                self._receive(raw)
        except asyncio.TimeoutError:
            self.events.put(StreamEvent("failed", "the agent sent nothing within "
                                                  f"{AGENT_START_TIMEOUT:.0f} s"))
            self._closing = True
        finally:
            if not sender.done():
                await asyncio.wait([sender], timeout=1)
                sender.cancel()

    async def _send_loop(self, ws) -> None:
        while True:
            message = await self._outbox.get()
            if message is None:
                await ws.close()
                return
            await ws.send(json.dumps(message))

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            event = message.get("event")
        except (ValueError, AttributeError):
            logger.warning("agent sent something that is not a JSON event")
            return
        port = self._port()
        if event == "media":
            if port is not None:
                port.play(base64.b64decode(message["media"]["payload"]))
        elif event == "mark":
            if port is not None:
                port.mark(message["mark"]["name"])
        elif event == "clear":
            for name in port.clear() if port is not None else ():
                self._mark_played(name)
        elif event == "transfer":
            self.events.put(StreamEvent("transfer", str(message["transfer"]["target"])))
        elif event == "hangup":
            self.events.put(StreamEvent("hangup"))
        elif event == "resolve":
            text = str(message["resolve"]["text"])
            self._enqueue(self._envelope("resolved", resolved=resolution_json(
                text, self.matcher.resolve(text))))
        elif event == "directory":
            self._enqueue(self._envelope("directory", directory={"entries": self.entries}))
        else:
            logger.info("ignored agent event", extra={"agent_event": str(event)[:32]})

    def mark_played(self, name: str) -> None:
        """pjmedia thread: the port reached a mark."""
        self.loop.call(self._mark_played, name)

    def _mark_played(self, name: str) -> None:
        self._enqueue(self._envelope("mark", mark={"name": name}))


def candidate_json(candidate) -> dict[str, Any]:
    return {"extension": candidate.extension, "display_name": candidate.display_name,
            "matched": candidate.matched, "confidence": round(candidate.confidence, 3)}


def resolution_json(text: str, resolution) -> dict[str, Any]:
    return {"text": text, "verdict": resolution.verdict.value,
            "match": candidate_json(resolution.match) if resolution.match else None,
            "candidates": [candidate_json(c) for c in resolution.candidates]}
