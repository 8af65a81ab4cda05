"""examples/pipecat/bot.py's OpenAI pipeline builds (no network until a call runs it) with the
transfer tool in front of the LLM. Its `run_bot` runs real calls in
tests/integration/edge/test_pipecat.py."""

from __future__ import annotations

from pipecat.processors.frame_processor import FrameProcessor
from pipecat.runner.types import CallData

from examples.pipecat.bot import app, openai_pipeline
from smartalex.pipecat import CallTransfers


class Transport:
    """Stands in for FastAPIWebsocketTransport (which needs an accepted WebSocket)."""

    def __init__(self):
        self._input, self._output = FrameProcessor(), FrameProcessor()

    def input(self):
        return self._input

    def output(self):
        return self._output


def test_the_example_bot_wires_stt_llm_with_the_transfer_tool_and_tts(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    transport, transfers = Transport(), CallTransfers()
    call = CallData.model_validate({"stream_id": "MZ1", "call_id": "CA1",
                                    "body": {"caller_name": "Caller Phone"}})
    pipeline, greet = openai_pipeline(transport, transfers, call)
    names = [type(p).__name__ for p in pipeline.processors]
    assert names[1:8] == ["FrameProcessor", "CallTransfers", "OpenAISTTService",
                          "LLMUserAggregator", "OpenAILLMService", "OpenAITTSService",
                          "FrameProcessor"]
    user = pipeline.processors[4]
    assert [t.name for t in user.context.tools.standard_tools] == ["transfer_call"]
    assert "Caller Phone" in user.context.get_messages()[0]["content"]
    assert greet is not None
    assert any(getattr(route, "path", None) == "/ws" for route in app.routes)
