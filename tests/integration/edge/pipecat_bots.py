"""Pipecat bots the Pipecat tests run (no cloud services), served by uvicorn in the test process.

`/smartalex/{script}` is examples/pipecat/bot.py's `run_bot` (SmartAlex's serializer) with an
offline pipeline in place of OpenAI's: `Listener` hears the caller (an energy detector, as a
stand-in for speech-to-text: barge-in interrupts the bot, the end of an utterance asks the
"LLM"), `ScriptedLLM` is a real Pipecat LLM service that, instead of asking a model, calls the
transfer tool through Pipecat's function-calling machinery, and `Speaker` says prompts rendered
with espeak-ng. `/twilio` is the bot as Pipecat's own Twilio example builds it, unchanged but
for `auto_hang_up=False`.
"""

from __future__ import annotations

import asyncio
import threading
from array import array
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI, WebSocket
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    FunctionCallFromLLM,
    FunctionCallResultFrame,
    InputAudioRawFrame,
    LLMContextFrame,
    OutputAudioRawFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.services.llm_service import LLMService
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport

from examples.pipecat.bot import run_bot
from smartalex.pipecat import TRANSFER_TOOL_NAME, CallTransfers, SmartAlexFrameSerializer
from tests.support.audio import read_wav, render_speech, rms

LOUD_RMS = 500           # a frame of 8 kHz 16-bit PCM with the caller's voice in it
SPEECH_FRAMES = 3        # loud frames in a row: the caller started speaking (barge-in)
QUIET_SECONDS = 0.6      # then this long without a loud frame: the utterance ended


def sound_frames(pcm: bytes) -> int:
    """20 ms frames of 8 kHz PCM the test phone counts as sound (tests/support/phone_media.py)."""
    samples = array("h", pcm)
    return sum(rms(samples[i:i + 160]) >= 100 for i in range(0, len(samples) - 159, 160))


@dataclass
class Bots:
    """What the bots saw, for the tests to check (one call at a time)."""

    greeting: bytes = b""          # 8 kHz PCM of the greeting the bots say
    goodbye: bytes = b""
    caller_loud_frames: int = 0    # audio frames from the caller with sound in them
    sent: list[str] = field(default_factory=list)            # what the serializer wrote
    tool_results: list[dict] = field(default_factory=list)   # the transfer tool's results
    finished: threading.Event = field(default_factory=threading.Event)  # run_bot returned

    def reset(self) -> None:
        self.caller_loud_frames = 0
        self.sent.clear()
        self.tool_results.clear()
        self.finished.clear()


class Listener(FrameProcessor):
    """Hears the caller: barge-in on speech, and the end of an utterance asks the LLM (as a
    user context aggregator would, with the context that advertises the transfer tool)."""

    def __init__(self, bots: Bots, context: LLMContext | None):
        super().__init__()
        self.bots, self.context = bots, context
        self._run = 0
        self._speaking = False
        self._quiet_since: float | None = None

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if not isinstance(frame, InputAudioRawFrame):
            return
        now = asyncio.get_running_loop().time()
        if rms(array("h", frame.audio)) >= LOUD_RMS:
            self.bots.caller_loud_frames += 1
            self._run += 1
            self._quiet_since = None
            if self._run == SPEECH_FRAMES and not self._speaking:
                self._speaking = True
                await self.broadcast_interruption()   # the output transport sends `clear`
            return
        self._run = 0
        if self._speaking:
            self._quiet_since = self._quiet_since or now
            if now - self._quiet_since >= QUIET_SECONDS:
                self._speaking = False
                if self.context is not None:
                    await self.push_frame(LLMContextFrame(self.context))


class ScriptedLLM(LLMService):
    """A real Pipecat LLM service that, asked for a completion, calls the transfer tool with
    `target`, as a model would; the tool's handler comes from the context (registered by
    Pipecat itself, as with any FunctionSchema that carries one)."""

    def __init__(self, target: str):
        super().__init__()
        self.target = target
        self._calls = 0

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            self._calls += 1
            await self.run_function_calls([FunctionCallFromLLM(
                function_name=TRANSFER_TOOL_NAME, tool_call_id=f"call-{self._calls}",
                arguments={"target": self.target}, context=frame.context)])
        else:
            await self.push_frame(frame, direction)


class Speaker(FrameProcessor):
    """Says rendered prompts; notes the transfer tool's results on their way by."""

    def __init__(self, bots: Bots):
        super().__init__()
        self.bots = bots

    async def say(self, pcm: bytes) -> None:
        await self.push_frame(OutputAudioRawFrame(audio=pcm, sample_rate=8000, num_channels=1))

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, FunctionCallResultFrame) and direction == FrameDirection.DOWNSTREAM:
            self.bots.tool_results.append(frame.result)
        await self.push_frame(frame, direction)


def make_app(bots: Bots) -> FastAPI:
    app = FastAPI()

    class RecordingSerializer(SmartAlexFrameSerializer):
        async def serialize(self, frame):
            data = await super().serialize(frame)
            if isinstance(data, str) and '"media"' not in data[:20]:
                bots.sent.append(data)
            return data

    @app.websocket("/smartalex/{script}")
    async def smartalex(websocket: WebSocket, script: str):
        await websocket.accept()

        def build(transport, transfers: CallTransfers, call):
            speaker = Speaker(bots)
            if script == "transfer":
                context = LLMContext([], tools=[transfers.tool])
                middle = [Listener(bots, context), ScriptedLLM("billing")]
            else:
                middle = [Listener(bots, None)]
            pipeline = Pipeline([transport.input(), transfers, *middle, speaker,
                                 transport.output()])

            async def greet(worker: PipelineWorker):
                if script == "goodbye":
                    await speaker.say(bots.goodbye)
                    await worker.queue_frame(EndFrame())   # the bot hangs up: the socket closes
                else:
                    await speaker.say(bots.greeting)

            return pipeline, greet

        try:
            await run_bot(websocket, build, serializer_class=RecordingSerializer)
        finally:
            bots.finished.set()

    @app.websocket("/twilio")
    async def twilio(websocket: WebSocket):
        """Pipecat's Twilio example's bot (its serializer, transport, task and runner, as it
        builds them), with local processors in place of its cloud services."""
        await websocket.accept()
        try:
            _, call_data = await parse_telephony_websocket(websocket)
            serializer = TwilioFrameSerializer(
                stream_sid=call_data["stream_id"], call_sid=call_data["call_id"],
                account_sid="", auth_token="",
                params=TwilioFrameSerializer.InputParams(auto_hang_up=False))
            transport = FastAPIWebsocketTransport(
                websocket=websocket, params=FastAPIWebsocketParams(
                    audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
                    serializer=serializer))
            speaker = Speaker(bots)
            pipeline = Pipeline([transport.input(), Listener(bots, None), speaker,
                                 transport.output()])
            task = PipelineTask(pipeline, params=PipelineParams(
                audio_in_sample_rate=8000, audio_out_sample_rate=8000))

            @transport.event_handler("on_client_connected")
            async def on_client_connected(transport, client):
                await speaker.say(bots.greeting)

            @transport.event_handler("on_client_disconnected")
            async def on_client_disconnected(transport, client):
                await task.cancel()

            await PipelineRunner(handle_sigint=False).run(task)
        finally:
            bots.finished.set()

    return app


class BotServer:
    """uvicorn serving make_app() on a free loopback port, in a thread."""

    def __init__(self, tmp_path):
        greeting, _ = read_wav(render_speech(
            "Hello, you have reached the Pipecat bot. Who would you like to speak to today?",
            tmp_path / "greeting.wav"))
        goodbye, _ = read_wav(render_speech("Thank you for calling. Goodbye.",
                                            tmp_path / "goodbye.wav"))
        self.bots = Bots(greeting=greeting.tobytes(), goodbye=goodbye.tobytes())
        self.server = uvicorn.Server(uvicorn.Config(make_app(self.bots), host="127.0.0.1",
                                                    port=0, log_level="warning", ws="websockets"))
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> "BotServer":
        self._thread.start()
        deadline = threading.Event()
        for _ in range(100):
            if self.server.started:
                break
            deadline.wait(0.05)
        assert self.server.started, "uvicorn did not start"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"ws://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(10)

