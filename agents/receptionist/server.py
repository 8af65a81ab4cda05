"""The receptionist as a WebSocket server speaking the agent side of docs/agent-protocol.md.

One CallSession per connection: the edge's messages go into the Conversation, whose actions
come back out as protocol messages and paced prompt audio. Prompts render in threads (espeak-ng
and sox are subprocesses); speech is decoded in worker processes (stt.SpeechService), so the
event loop keeps every call's audio pacing steady. When to decode and when the caller has
finished is turns.Turns's.

`python -m agents.receptionist --host 127.0.0.1 --port 8765`
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from smartalex.domain import agent_protocol as protocol
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.matching import Matcher

from . import lm
from .audio import ulaw_to_pcm
from .conversation import (DEFAULT_GREETING, Action, Clear, Conversation, Hangup, Resolve, Say,
                           Transfer)
from .dtmf import DigitMerger, ToneDetector
from .exceptions import ReceptionistError
from .player import Player
from .stt import Heard, SpeechModel, SpeechService, heard
from .tts import Synthesizer
from .turns import Answer, Decode, Turns, settles
from .vad import Endpointer, SpeechStarted

logger = Logger(service="receptionist")

TICK = 0.1
DIRECTORY_WAIT = 3.0      # build a generic speech model if the edge has not sent the directory
PRERENDER_ANNOUNCEMENTS = 40   # "Transferring you to X" is rendered ahead for this many entries


@dataclass
class Services:
    """What every call shares: the prompt cache, the speech models and decoders, threads."""

    synthesizer: Synthesizer
    speech: SpeechService
    executor: ThreadPoolExecutor
    prompts_to_warm: tuple[str, ...] = (DEFAULT_GREETING,)


def bootstrap(synthesizer: Synthesizer | None = None, speech: SpeechService | None = None,
              threads: int = 4, speech_processes: int = 2) -> Services:
    """Wire the shared services (defaults built here); tests may pass their own."""
    return Services(synthesizer=synthesizer or Synthesizer(),
                    speech=speech or SpeechService(processes=speech_processes),
                    executor=ThreadPoolExecutor(threads, thread_name_prefix="receptionist"))


@dataclass
class CallSession:
    websocket: Any
    services: Services
    stream_sid: str = ""
    call_sid: str = ""
    conversation: Conversation | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._actions: asyncio.Queue[Action] = asyncio.Queue()
        self._jobs_ready = asyncio.Event()
        self._matcher: Matcher | None = None    # the directory, to know a request is complete
        self._model: SpeechModel | None = None
        self._model_ready = asyncio.Event()
        self._directory_seen = False
        self._tones = ToneDetector()
        self._turns = Turns(Endpointer(), self._settles)
        self._merger = DigitMerger()
        self._player: Player | None = None
        self._acronyms: dict[str, str] = {}
        self._send_failed = False
        self._loop = asyncio.get_running_loop()

    # --- the connection ---
    async def run(self) -> None:
        try:
            async for raw in self.websocket:
                if isinstance(raw, bytes):
                    continue   # the protocol is JSON text frames only
                try:
                    message = protocol.parse_edge_message(raw)
                except protocol.ProtocolError as exc:
                    self._log("warning", "Ignored a malformed message", error=str(exc))
                    continue
                if await self._dispatch(raw, message) is False:
                    break
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._log("info", "Call ended")

    async def _dispatch(self, raw: str, message: protocol.EdgeMessage | None) -> bool | None:
        if message is None:
            self._log("info", "Ignored an unknown event", event=raw[:60])
            return None
        if not isinstance(message, (protocol.Connected, protocol.Start)) \
                and self.conversation is None:
            self._log("warning", "Ignored an event before start", event=message.event)
            return None
        return await _HANDLERS[type(message)](self, message)

    async def _send(self, message: protocol.AgentMessage) -> None:
        try:
            await self.websocket.send(protocol.dumps(message))
        except Exception as exc:   # the edge went away; the reader loop ends the session
            if not self._send_failed:
                self._send_failed = True
                self._log("info", "Could not send to the edge", error=type(exc).__name__)

    # --- edge -> agent ---
    async def on_connected(self, message: protocol.Connected) -> None:
        self._log("info", "Edge connected")

    async def on_start(self, message: protocol.Start) -> None:
        if self.conversation is not None:
            return None
        self.stream_sid, self.call_sid = message.stream_sid, message.call_sid
        params = message.custom_parameters
        greeting = (params.get("greeting") or "").strip() or DEFAULT_GREETING
        self._log("info", "Call started", trunk_id=params.get("trunk_id"),
                  extension=params.get("extension"))
        self.conversation = Conversation(greeting=greeting)
        self._player = Player(self._send, self.stream_sid, self._mark_overdue)
        await self._send(protocol.DirectoryRequest())
        for work in (self._player.run(), self._perform_actions(), self._decode_jobs(),
                     self._tick(), self._directory_fallback()):
            self._spawn(work)
        self._act(self.conversation.start(time.monotonic()))
        return None

    async def on_media(self, message: protocol.CallerMedia) -> None:
        samples = ulaw_to_pcm(message.payload)
        now = time.monotonic()
        for digit in self._tones.feed(samples):
            if self._turns.in_speech:
                self._turns.reset()   # that "speech" was keypad tones
            self._digit("in-band", digit, now)
        for event in self._turns.feed(samples, tone=self._tones.tone_present):
            if isinstance(event, SpeechStarted):
                self._act(self.conversation.speech_started(now))
            else:
                self._answer(event)
        if self._turns.has_jobs:
            self._jobs_ready.set()

    async def on_dtmf(self, message: protocol.Dtmf) -> None:
        self._digit("event", message.digit, time.monotonic())

    async def on_mark(self, message: protocol.MarkPlayed) -> None:
        name = message.name
        if self._player is not None:
            self._player.echoed(name)
        self._act(self.conversation.played(name, time.monotonic()))

    async def on_resolved(self, message: protocol.Resolved) -> None:
        resolution = message.resolution
        self._log("info", "Resolved", verdict=resolution.verdict.value,
                  extension=resolution.match.extension if resolution.match else None)
        self._act(self.conversation.resolved(message.text, resolution, time.monotonic()))

    async def on_transfer(self, message: protocol.TransferOutcome) -> None:
        self._log("info", "Transfer outcome", status=message.status.value,
                  target=message.target, sip_code=message.sip_code, reason=message.reason)
        self._act(self.conversation.transfer_outcome(message.status.value, time.monotonic()))

    async def on_directory(self, message: protocol.Directory) -> None:
        entries = list(message.entries)
        self._directory_seen = True
        self.conversation.directory(entries)
        self._log("info", "Directory received", entries=len(entries),
                  reception=self.conversation.reception.extension
                  if self.conversation.reception else None)
        self._spawn(self._load_model(entries))   # keep reading the caller's audio meanwhile
        self._spawn(self._prepare_replies(entries))

    async def on_stop(self, message: protocol.Stop) -> bool:
        if self.conversation is not None:
            self.conversation.stopped()
        return False

    # --- agent -> edge ---
    def _act(self, actions: list[Action]) -> None:
        for action in actions:
            self._actions.put_nowait(action)

    async def _perform_actions(self) -> None:
        while True:
            action = await self._actions.get()
            if isinstance(action, Say):
                await self._say(action)
            elif isinstance(action, Clear):
                self._log("info", "Caller interrupted the prompt")
                await self._player.clear()
            elif isinstance(action, Resolve):
                self._log("info", "Resolving", text=action.text)
                await self._send(protocol.Resolve(action.text, action.alternatives))
            elif isinstance(action, Transfer):
                self._log("info", "Transferring", target=action.target)
                await self._send(protocol.Transfer(action.target))
            elif isinstance(action, Hangup):
                self._log("info", "Hanging up")
                await self._send(protocol.Hangup())

    async def _say(self, say: Say) -> None:
        try:
            audio = await self._loop.run_in_executor(
                self.services.executor, self.services.synthesizer.render, say.text)
        except ReceptionistError as exc:
            # Go on without the prompt rather than stall the call (a transfer still happens).
            self._log("error", "Could not render a prompt", error=str(exc))
            self._act(self.conversation.played(say.mark, time.monotonic()))
            return
        self._log("info", "Saying", text=say.text, seconds=round(len(audio) / 8000, 2))
        self._player.play(audio, say.mark)

    def _mark_overdue(self, name: str) -> None:
        self._log("warning", "A mark did not come back in time; going on", mark=name)
        self._act(self.conversation.played(name, time.monotonic()))

    # --- input ---
    def _digit(self, source: str, digit: str, now: float) -> None:
        if not self._merger.accept(source, digit, now):
            return
        self._log("info", "Key pressed", source=source)   # not which key: it may be a PIN
        self._act(self.conversation.key(digit, now))

    async def _decode_jobs(self) -> None:
        """Decode what turns.Turns hands over, one at a time, and act on its answers."""
        while True:
            await self._jobs_ready.wait()
            self._jobs_ready.clear()
            while (job := self._turns.next_job()) is not None:
                said = await self._decode(job)
                for answer in self._turns.decoded(job, said):
                    self._answer(answer)

    def _answer(self, answer: Answer) -> None:
        said = answer.heard
        if answer.early:
            self._log("info", "Answering at a pause", text=said.text)
        self._act(self.conversation.heard(said.text, time.monotonic(), said.alternatives,
                                          said.raw))

    async def _decode(self, job: Decode) -> Heard | None:
        await self._model_ready.wait()
        try:
            transcript = await self.services.speech.transcribe(self._model, job.audio)
        except Exception:
            self._log("exception", "Could not decode an utterance")
            return None
        said = heard(transcript, self._acronyms)
        self._log("info", "Heard", text=said.text, at_pause=not job.final,
                  alternatives=len(said.alternatives),
                  seconds=round(transcript.audio_seconds, 2),
                  decode_seconds=round(transcript.decode_seconds, 3))
        return said

    def _settles(self, said: Heard) -> bool:
        return settles(self.conversation, self._matcher, said)

    async def _prepare_replies(self, entries: list[DirectoryEntry]) -> None:
        """The directory matcher (to tell a finished request from a pause) and the
        announcements a match leads to, rendered ahead so a reply starts at once."""
        self._matcher = await self._loop.run_in_executor(self.services.executor, Matcher, entries)
        for entry in entries[:PRERENDER_ANNOUNCEMENTS]:
            text = self.conversation.prompts.transferring.format(name=entry.display_name)
            await self._loop.run_in_executor(self.services.executor,
                                             self.services.synthesizer.render, text)

    async def _load_model(self, entries: list[DirectoryEntry]) -> None:
        try:
            model = await self.services.speech.model(entries)
        except Exception:
            self._log("exception", "Could not build the speech model; keypad only")
            return
        self._acronyms = lm.acronyms(entries)
        self._model = model
        self._model_ready.set()

    async def _directory_fallback(self) -> None:
        await asyncio.sleep(DIRECTORY_WAIT)
        if not self._directory_seen and not self._model_ready.is_set():
            self._log("warning", "No directory from the edge; using a generic speech model")
            await self._load_model([])

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self._player.check_overdue(now)
            self._act(self.conversation.tick(now))

    def _spawn(self, work) -> None:
        """Run `work` for the life of the call; a crash in it is logged, not lost."""
        task = asyncio.create_task(work)
        self._tasks.append(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._log("error", "A call task failed", task=task.get_coro().__qualname__,
                      error=repr(task.exception())[:300])

    def _log(self, level: str, message: str, **fields: Any) -> None:
        getattr(logger, level)(message, extra={"call_sid": self.call_sid, **fields})


_HANDLERS: dict[type, Callable[[CallSession, Any], Awaitable[bool | None]]] = {
    protocol.Connected: CallSession.on_connected,
    protocol.Start: CallSession.on_start,
    protocol.CallerMedia: CallSession.on_media,
    protocol.Dtmf: CallSession.on_dtmf,
    protocol.MarkPlayed: CallSession.on_mark,
    protocol.Resolved: CallSession.on_resolved,
    protocol.TransferOutcome: CallSession.on_transfer,
    protocol.Directory: CallSession.on_directory,
    protocol.Stop: CallSession.on_stop,
}


async def serve(host: str, port: int, services: Services | None = None,
                ready: Callable[[int], None] | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or cancelled). `ready` gets the bound port (for port 0)."""
    from websockets.asyncio.server import serve as ws_serve

    services = services or bootstrap()
    loop = asyncio.get_running_loop()
    for text in services.prompts_to_warm:   # the default greeting plays on most calls
        await loop.run_in_executor(services.executor, services.synthesizer.render, text)
    await services.speech.warm()

    async def handler(websocket) -> None:
        await CallSession(websocket, services).run()

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with ws_serve(handler, host, port, max_size=2 ** 20) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        logger.info("Receptionist listening", extra={"host": host, "port": bound})
        if ready is not None:
            ready(bound)
        await stop.wait()
        logger.info("Receptionist stopping")
        # Leaving the block closes the connections (calls in progress end) and the socket.


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m agents.receptionist",
                                     description="The built-in offline receptionist agent.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    try:
        services = bootstrap()
    except ReceptionistError as exc:
        logger.error("Cannot start the receptionist", extra={"error": str(exc)})
        raise SystemExit(2) from exc
    try:
        asyncio.run(serve(args.host, args.port, services))
    except KeyboardInterrupt:
        pass
    finally:
        services.speech.close()
