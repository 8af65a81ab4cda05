"""The "transfer the caller" tool for a Pipecat LLM, and where its outcome comes back.

    transfers = CallTransfers()
    context = LLMContext(messages, tools=ToolsSchema(standard_tools=[transfers.tool]))
    pipeline = Pipeline([transport.input(), transfers, stt, user_aggregator, llm, tts,
                         transport.output(), assistant_aggregator])

The LLM calls `transfer_call(target)`; the handler pushes a `TransferCallFrame` and waits for
the edge's final outcome, which `CallTransfers` catches on its way down from the input
transport, and gives it to the LLM as the function's result: it can then apologise, ask again
(`no_match`, `ambiguous`, with the close names) or stop talking (`completed`). One transfer at
a time per call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.frames.frames import Frame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from smartalex.domain import agent_protocol as protocol

from .frames import TransferCallFrame, TransferOutcomeFrame

TRANSFER_TOOL_NAME = "transfer_call"
TRANSFER_TOOL_DESCRIPTION = (
    "Transfer the caller to a person, department or extension of the company's phone "
    "directory, when they ask for someone. First tell the caller in one short sentence that you "
    "are putting them through; the transfer waits until that has been heard. The result's "
    "status: completed (the caller has been put through and is gone: say nothing more), "
    "no_match or ambiguous (nobody, or several people, match: ask the caller again, naming the "
    "candidates if any), failed (the phone system could not put them through: apologise and "
    "offer someone else).")


class CallTransfers(FrameProcessor):
    """Put it right after `transport.input()`; give `tool` to the LLM."""

    def __init__(self, timeout: float = 20.0, **kwargs):
        super().__init__(**kwargs)
        self.timeout = timeout
        self._pending: asyncio.Future | None = None

    @property
    def tool(self) -> FunctionSchema:
        """The function schema, carrying its handler (Pipecat registers it by itself)."""
        return FunctionSchema(
            name=TRANSFER_TOOL_NAME, description=TRANSFER_TOOL_DESCRIPTION,
            properties={"target": {
                "type": "string",
                "description": "Who the caller asked for, as they said it: a name, a "
                               "department or an extension number."}},
            required=["target"], handler=self.transfer_call)

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, TransferOutcomeFrame) and frame.outcome.final \
                and self._pending is not None and not self._pending.done():
            self._pending.set_result(frame.outcome)
        await self.push_frame(frame, direction)

    async def transfer_call(self, params) -> None:
        """The LLM's function handler (`FunctionCallParams`)."""
        target = str(params.arguments.get("target") or "").strip()
        if not target:
            await params.result_callback({"status": "no_match",
                                          "reason": "no target given: ask who they want"})
            return
        self._pending = asyncio.get_running_loop().create_future()
        try:
            await params.llm.push_frame(TransferCallFrame(target=target))
            outcome = await asyncio.wait_for(asyncio.shield(self._pending), self.timeout)
        except asyncio.TimeoutError:
            outcome = protocol.TransferOutcome(target, protocol.TransferStatus.FAILED,
                                               reason="the phone system did not answer")
        finally:
            self._pending = None
        await params.result_callback(result_of(outcome))


def result_of(outcome: protocol.TransferOutcome) -> dict[str, Any]:
    """The function's result, in the words an LLM reads."""
    result: dict[str, Any] = {"status": outcome.status.value}
    if outcome.display_name:
        result["transferred_to" if outcome.status is protocol.TransferStatus.COMPLETED
               else "target"] = outcome.display_name
    if outcome.candidates:
        result["candidates"] = [c.display_name for c in outcome.candidates]
    if outcome.status is protocol.TransferStatus.FAILED and outcome.reason:
        result["reason"] = outcome.reason
    return result
