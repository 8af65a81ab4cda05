"""One call's WebSocket to its agent, speaking Twilio Media Streams (docs/agent-protocol.md).

Runs on the worker's LoopThread. What the pjsua2 thread must act on (the agent's socket was
accepted or never was, a transfer or hang-up reached its place in the audio, the agent went
away) is put on `events`, which the call drains in the worker's pump loop; nothing here calls
pjsua2.

As Twilio does, the edge streams the caller's audio from `start` whatever the agent sends (a
bot may let the caller speak first, or take seconds to greet), and only the WebSocket handshake
has a deadline. `transfer` and `hangup` take their place in the agent's audio: they act once
what was queued before them has played, as a `mark` would be echoed, so "Transferring you now"
is heard before the transfer. Every message is built and read by smartalex.domain.agent_protocol.

The caller's audio and what playback reached (marks, cues) are taken from the call's port by the
loop's `MediaPump` every 20 ms (`pump`), for every call in one tick: no thread hand-off per frame.
"""

from __future__ import annotations

import asyncio
import json
import queue
import time
import weakref
from dataclasses import dataclass
from typing import Any

import websockets
from aws_lambda_powertools import Logger

from smartalex.domain import agent_signature
from smartalex.domain import agent_protocol as protocol
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.matching import Matcher
from smartalex.domain.matching_hypotheses import resolve_hypotheses
from smartalex.domain.targets import ANYWHERE, TargetGuard, TargetRefused

from .loop import LoopThread
from .port import ULAW_FRAME, AgentAudioPort

logger = Logger(service="edge-worker", child=True)

# The agent must accept the WebSocket (TCP, TLS and the HTTP upgrade) within this; after that,
# nothing it sends or does not send has a deadline (a silent agent is a legitimate agent).
AGENT_ACCEPT_TIMEOUT = 5.0
# When the agent closes its socket, what it had queued still plays, for at most this long.
PLAYOUT_AFTER_CLOSE = 30.0
# Messages waiting for an agent that does not read (TCP back-pressure): past this many (about
# 10 s of caller audio) further caller audio is dropped rather than held in memory.
MAX_OUTBOX = 500


@dataclass(frozen=True)
class StreamEvent:
    kind: str  # "started" | "failed" | "transfer" | "hangup" | "closed"
    detail: Any = None


class MediaStream:
    def __init__(self, loop: LoopThread, url: str, start: protocol.Start,
                 port: AgentAudioPort, matcher: Matcher, entries: tuple[DirectoryEntry, ...],
                 targets: TargetGuard = ANYWHERE, signing_secret: str | None = None):
        self.loop, self.url, self.start = loop, url, start
        self.targets = targets
        self._signing_secret = signing_secret
        # Weak: the call frees the port on the pjsua thread; a late agent message must not keep
        # it alive past libDestroy. Once it is gone the pump lets this stream go.
        self._port = weakref.ref(port)
        self.matcher, self.entries = matcher, entries
        self.envelope = protocol.Envelope(start.stream_sid)
        self.events: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
        # When the agent last sent anything (monotonic; read by the call's silence rule).
        self.last_message_at = time.monotonic()
        # Created here (asyncio binds it to the loop on first use), so a call that ends before
        # the loop ran `_run` still queues its `stop`.
        self._outbox: asyncio.Queue[protocol.EdgeMessage | None] = asyncio.Queue()
        self._chunk = 0
        self._streaming = False   # `start` was sent: caller audio flows
        self._closing = False     # the call is over: `stop` is (being) sent
        self._closed_reported = False
        self._dropped_media = 0

    # --- called from other threads ---
    def open(self) -> None:
        self.loop.submit(self._run())

    def send(self, message: protocol.EdgeMessage) -> None:
        """Send an edge message (dtmf, a transfer outcome) from the pjsua thread."""
        self.loop.call(self._enqueue, message)

    def close(self) -> None:
        """Send `stop` and close the socket (the call is over)."""
        self.loop.call(self._stop)

    # --- the loop thread ---
    def pump(self) -> None:
        """Every 20 ms from `start` until the call frees its port: the caller's audio to the
        agent (until the call is over), and the marks and cues playback has reached."""
        port = self._port()
        if port is None:
            self.loop.media.discard(self)
            return
        audio = port.take_caller_audio()
        if self._streaming and not self._closing:
            for at in range(0, len(audio) - ULAW_FRAME + 1, ULAW_FRAME):
                self._media(audio[at:at + ULAW_FRAME])
        for item in port.take_played():
            if isinstance(item, StreamEvent):
                self._report(item)
            else:
                self._enqueue(protocol.MarkPlayed(item))

    def _enqueue(self, message: protocol.EdgeMessage | None) -> None:
        if isinstance(message, protocol.CallerMedia) and self._outbox.qsize() >= MAX_OUTBOX:
            if not self._dropped_media:
                logger.warning("the agent is not reading; caller audio is dropped",
                               extra={"call_id": self.start.call_sid})
            self._dropped_media += 1
            return
        self._outbox.put_nowait(message)

    def _media(self, ulaw: bytes) -> None:
        self._chunk += 1
        self._enqueue(protocol.CallerMedia(self._chunk, (self._chunk - 1) * protocol.FRAME_MS,
                                           ulaw))

    def _stop(self) -> None:
        if not self._closing:
            self._closing = True
            self._enqueue(protocol.Stop(self.start.account_sid, self.start.call_sid))
            self._enqueue(None)

    async def _run(self) -> None:
        if self._closing:
            return  # the call ended before its stream could start
        try:
            async with asyncio.timeout(AGENT_ACCEPT_TIMEOUT):
                # No permessage-deflate: base64 audio barely compresses, and deflating 50
                # messages a second each way was a tenth of a call's CPU at the edge.
                ws = await websockets.connect(self.url, open_timeout=AGENT_ACCEPT_TIMEOUT,
                                              max_size=2**20, compression=None,
                                              additional_headers=self._signed(),
                                              **await self._destination())
        except TargetRefused as refused:
            self._report(StreamEvent("failed", str(refused)))
            return
        except (OSError, TimeoutError, websockets.WebSocketException) as exc:
            self._report(StreamEvent("failed", _why(exc)))
            return
        try:
            async with ws:
                await ws.send(json.dumps(self.envelope.wrap(protocol.Connected())))
                await ws.send(json.dumps(self.envelope.wrap(self.start)))
                self._streaming = True
                port = self._port()
                if port is not None:
                    port.take_caller_audio()  # heard before `start`: not part of the stream
                self.loop.media.add(self)
                self._report(StreamEvent("started"))
                await self._converse(ws)
        except (OSError, websockets.WebSocketException) as exc:
            logger.warning("agent stream ended", extra={"error": str(exc),
                                                        "call_id": self.start.call_sid})
        self._agent_gone()

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
            async for raw in ws:
                self.last_message_at = time.monotonic()
                self._receive(raw)
        finally:
            if self._closing and not sender.done():
                # We are closing: let `stop` and the close go out first (bounded).
                await asyncio.wait([sender], timeout=2)
            sender.cancel()

    async def _send_loop(self, ws) -> None:
        while True:
            message = await self._outbox.get()
            if message is None:
                await ws.close()
                return
            await ws.send(json.dumps(self.envelope.wrap(message)))

    def _agent_gone(self) -> None:
        """The socket is closed. If the agent closed it, what it queued still plays first (up to
        PLAYOUT_AFTER_CLOSE), then the call ends; the caller hears the whole goodbye."""
        if self._closing:
            return
        self._closing = True
        port = self._port()
        if port is None or port.queued_seconds() == 0:
            self._report(StreamEvent("closed"))
            return
        port.cue(StreamEvent("closed"))
        self.loop.loop.call_later(PLAYOUT_AFTER_CLOSE, self._report, StreamEvent("closed"))

    def _report(self, event: StreamEvent) -> None:
        """"closed" goes out once, whether the queue drained or the limit came first."""
        if event.kind == "closed":
            if self._closed_reported:
                return
            self._closed_reported = True
        self.events.put(event)

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = protocol.parse_agent_message(raw)
        except protocol.ProtocolError as exc:
            logger.warning("ignored a message from the agent", extra={
                "call_id": self.start.call_sid, "error": str(exc)})
            return
        if message is None:
            logger.info("ignored agent event", extra={"agent_event": _event_name(raw)})
            return
        port = self._port()
        if isinstance(message, protocol.Media):
            if port is not None:
                port.play(message.payload)
        elif isinstance(message, protocol.Mark):
            if port is not None:
                port.mark(message.name)
        elif isinstance(message, protocol.Clear):
            self._clear(port)
        elif isinstance(message, protocol.Transfer):
            self._after_audio(port, StreamEvent("transfer", message.target))
        elif isinstance(message, protocol.Hangup):
            self._after_audio(port, StreamEvent("hangup"))
        elif isinstance(message, protocol.Resolve):
            self._enqueue(protocol.Resolved(message.text, resolve_hypotheses(
                self.matcher, message.text, message.alternatives)))
        elif isinstance(message, protocol.DirectoryRequest):
            self._enqueue(protocol.Directory(self.entries))

    def _clear(self, port: AgentAudioPort | None) -> None:
        """Barge-in: the marks that were waiting are echoed, and a transfer or hang-up that was
        waiting behind the audio acts now."""
        for item in port.clear() if port is not None else ():
            if isinstance(item, StreamEvent):
                self._report(item)
            else:
                self._enqueue(protocol.MarkPlayed(item))

    def _after_audio(self, port: AgentAudioPort | None, event: StreamEvent) -> None:
        if port is None or port.queued_seconds() == 0:
            self._report(event)
        else:
            port.cue(event)


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"its WebSocket was not accepted within {AGENT_ACCEPT_TIMEOUT:.0f} s"
    return f"{type(exc).__name__}: {exc}"


def _event_name(raw: str | bytes) -> str:
    try:
        return str(json.loads(raw).get("event"))[:32]
    except (ValueError, AttributeError):
        return "?"
