"""smartalex.pipecat without a call: the serializer's own events, that it never calls Twilio,
and the transfer tool's definition and results. (Real calls: tests/integration/edge/
test_pipecat.py.)"""

from __future__ import annotations

import asyncio
import json

from pipecat.frames.frames import InterruptionFrame
from pipecat.serializers.twilio import TwilioFrameSerializer

from smartalex.domain import agent_protocol as protocol
from smartalex.domain.directory import Candidate, DirectoryEntry
from smartalex.pipecat import (
    CallTransfers,
    DirectoryFrame,
    DirectoryRequestFrame,
    ResolvedFrame,
    ResolveFrame,
    SmartAlexFrameSerializer,
    TransferCallFrame,
    TransferOutcomeFrame,
)
from smartalex.pipecat.transfers import result_of

SARAH = Candidate("215", "Sarah Murphy", "billing", 0.9)


def run(coro):
    return asyncio.run(coro)


def wire(message: protocol.EdgeMessage) -> str:
    return json.dumps(protocol.Envelope("MZ1").wrap(message))


def test_it_never_hangs_up_through_twilio_whatever_it_is_given():
    """With auto_hang_up Pipecat wants Twilio credentials and calls Twilio's REST API; here
    the hang-up is closing the socket."""
    asked = TwilioFrameSerializer.InputParams(auto_hang_up=True)
    serializer = SmartAlexFrameSerializer("MZ1", "CA1", params=asked)   # no credentials: fine
    assert serializer._params.auto_hang_up is False
    assert isinstance(serializer, TwilioFrameSerializer)


def test_requests_go_out_as_the_protocols_messages_and_clear_stays_twilios():
    serializer = SmartAlexFrameSerializer("MZ1", "CA1")
    sent = [json.loads(run(serializer.serialize(frame))) for frame in (
        TransferCallFrame(target="billing"), ResolveFrame(text="sarah"),
        DirectoryRequestFrame(), InterruptionFrame())]
    assert [protocol.parse_agent_message(json.dumps(m)) for m in sent] == [
        protocol.Transfer("billing"), protocol.Resolve("sarah"), protocol.DirectoryRequest(),
        protocol.Clear("MZ1")]


def test_a_transfer_request_survives_an_interruption():
    assert TransferCallFrame(target="billing").interruptible is False


def test_the_edges_answers_come_back_as_frames():
    serializer = SmartAlexFrameSerializer("MZ1", "CA1")
    outcome = protocol.TransferOutcome("billing", protocol.TransferStatus.AMBIGUOUS,
                                       candidates=(SARAH,))
    frame = run(serializer.deserialize(wire(outcome)))
    assert isinstance(frame, TransferOutcomeFrame) and frame.outcome.final
    assert frame.outcome.candidates[0].display_name == "Sarah Murphy"
    resolved = run(serializer.deserialize(wire(protocol.Resolved(
        "billing", protocol.parse_resolution({"verdict": "match", "match": {
            "extension": "215", "display_name": "Sarah Murphy"}})))))
    assert isinstance(resolved, ResolvedFrame) and resolved.resolution.match.extension == "215"
    listing = run(serializer.deserialize(wire(protocol.Directory(
        (DirectoryEntry("215", "Sarah Murphy", ("billing",)),)))))
    assert isinstance(listing, DirectoryFrame) and listing.entries[0].aliases == ("billing",)


def test_a_malformed_answer_is_dropped_and_twilio_events_are_twilios():
    serializer = SmartAlexFrameSerializer("MZ1", "CA1")
    assert run(serializer.deserialize('{"event": "transfer", "transfer": {"status": "?"}}')) \
        is None
    assert run(serializer.deserialize(wire(protocol.Dtmf("5")))).button.value == "5"
    assert run(serializer.deserialize(wire(protocol.Stop("acme", "CA1")))) is None


def test_the_transfer_tool_is_a_function_with_one_target_and_its_own_handler():
    transfers = CallTransfers()
    tool = transfers.tool
    schema = tool.to_default_dict()
    assert schema["name"] == "transfer_call" and schema["parameters"]["required"] == ["target"]
    assert schema["parameters"]["properties"]["target"]["type"] == "string"
    assert tool.handler == transfers.transfer_call


def test_the_tools_result_tells_the_llm_what_to_do_next():
    completed = protocol.TransferOutcome("215", protocol.TransferStatus.COMPLETED, "215",
                                         "Sarah Murphy", 200, "OK")
    assert result_of(completed) == {"status": "completed", "transferred_to": "Sarah Murphy"}
    ambiguous = protocol.TransferOutcome("sarah", protocol.TransferStatus.AMBIGUOUS,
                                         candidates=(SARAH, Candidate("216", "Sarah Connor",
                                                                      "sarah", 0.8)))
    assert result_of(ambiguous) == {"status": "ambiguous",
                                    "candidates": ["Sarah Murphy", "Sarah Connor"]}
    failed = protocol.TransferOutcome("299", protocol.TransferStatus.FAILED, "299", "Old Fax",
                                      404, "Not Found")
    assert result_of(failed) == {"status": "failed", "target": "Old Fax", "reason": "Not Found"}
