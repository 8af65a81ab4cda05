"""A Pipecat bot that answers calls to a SmartAlex AI extension and transfers callers.

It is Pipecat's Twilio bot with SmartAlex's serializer: the transport is built as Pipecat's
own Twilio example builds it, the serializer is `SmartAlexFrameSerializer` (transfers, no
Twilio account), and the LLM gets the "transfer the caller" tool. Speech and language here are
OpenAI's (speech-to-text, the LLM, text-to-speech: one key, no other Pipecat extra); swap in
any Pipecat services you like in `openai_pipeline`.

    pip install "smartalex-native-extension[pipecat]"
    OPENAI_API_KEY=sk-... uvicorn examples.pipecat.bot:app --host 0.0.0.0 --port 8765

Then create a `media_stream` agent whose `stream_url` reaches this server's `/ws` (wss:// in a
deployed stage), link it to the trunk, and check the edge's handshake signature
(docs/agent-protocol.md) before trusting a connection. tests/integration/edge/test_pipecat.py
runs `run_bot` against real calls, with an offline pipeline in place of OpenAI's.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, WebSocket
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.frames.frames import LLMRunFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.runner.types import CallData
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from pipecat.workers.runner import WorkerRunner

from smartalex.pipecat import CallTransfers, SmartAlexFrameSerializer

INSTRUCTIONS = (
    "You are the receptionist of a company, on the phone. Your words are spoken aloud: no "
    "lists, no special characters, one or two short sentences at a time. Find out who the "
    "caller wants to speak to and put them through with the transfer_call tool.")

# What a bot is made of, once its transport exists: the pipeline, and what to do when the
# call is connected (greet, or wait for the caller: both are fine with SmartAlex).
Greeter = Callable[[PipelineWorker], Awaitable[None]]
BuildPipeline = Callable[[FastAPIWebsocketTransport, CallTransfers, CallData],
                         tuple[Pipeline, Greeter | None]]

app = FastAPI()


@app.websocket("/ws")
async def stream(websocket: WebSocket) -> None:
    await websocket.accept()
    await run_bot(websocket, openai_pipeline)


async def run_bot(websocket: WebSocket, build: BuildPipeline,
                  serializer_class: type = SmartAlexFrameSerializer) -> None:
    """One call: read `connected` and `start`, build the transport and the pipeline, run it
    until either side hangs up."""
    _, call = await parse_telephony_websocket(websocket)
    transport = FastAPIWebsocketTransport(websocket=websocket, params=FastAPIWebsocketParams(
        audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
        serializer=serializer_class.for_call(call)))
    pipeline, greet = build(transport, CallTransfers(), call)
    worker = PipelineWorker(pipeline, params=PipelineParams(audio_in_sample_rate=8000,
                                                            audio_out_sample_rate=8000))

    @transport.event_handler("on_client_connected")
    async def on_client_connected(transport, client):
        if greet is not None:
            await greet(worker)

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport, client):
        await worker.cancel()   # the caller hung up, or a transfer completed

    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await runner.run()


def openai_pipeline(transport: FastAPIWebsocketTransport, transfers: CallTransfers,
                    call: CallData) -> tuple[Pipeline, Greeter]:
    """Speech to text, an LLM with the transfer tool, text to speech: all OpenAI."""
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.services.openai.stt import OpenAISTTService
    from pipecat.services.openai.tts import OpenAITTSService

    key = os.environ["OPENAI_API_KEY"]
    caller = call.body.get("caller_name") or call.body.get("from_number") or "unknown"
    context = LLMContext([{"role": "system", "content": f"{INSTRUCTIONS} The caller: {caller}."}],
                         tools=[transfers.tool])
    user, assistant = LLMContextAggregatorPair(
        context, user_params=LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer()))
    pipeline = Pipeline([transport.input(), transfers, OpenAISTTService(api_key=key), user,
                         OpenAILLMService(api_key=key), OpenAITTSService(api_key=key),
                         transport.output(), assistant])

    async def greet(worker: PipelineWorker) -> None:
        context.add_message({"role": "user", "content": "Greet the caller briefly."})
        await worker.queue_frames([LLMRunFrame()])

    return pipeline, greet
