"""Pipecat's TwilioFrameSerializer for SmartAlex's edge.

The edge speaks Twilio Media Streams, so everything Twilio-shaped goes through Pipecat's own
serializer unchanged. This subclass adds SmartAlex's events (frames.py) and never calls Twilio:
`auto_hang_up` is always off, because with it on Pipecat wants Twilio credentials and ends the
call through Twilio's REST API; here ending the pipeline closes the WebSocket, which is the
hang-up (the edge plays what it still has queued, then ends the call).
"""

from __future__ import annotations

import json

from loguru import logger
from pipecat.frames.frames import Frame
from pipecat.serializers.twilio import TwilioFrameSerializer

from smartalex.domain import agent_protocol as protocol

from .frames import (
    DirectoryFrame,
    DirectoryRequestFrame,
    ResolvedFrame,
    ResolveFrame,
    TransferCallFrame,
    TransferOutcomeFrame,
)

_REQUESTS = (TransferCallFrame, ResolveFrame, DirectoryRequestFrame)
_ANSWERS = frozenset({protocol.TransferOutcome.event, protocol.Resolved.event,
                      protocol.Directory.event})


class SmartAlexFrameSerializer(TwilioFrameSerializer):
    """TwilioFrameSerializer plus transfer, resolve and directory; hangs up by closing."""

    def __init__(self, stream_sid: str, call_sid: str | None = None,
                 params: TwilioFrameSerializer.InputParams | None = None):
        params = (params or TwilioFrameSerializer.InputParams()).model_copy(
            update={"auto_hang_up": False})
        super().__init__(stream_sid, call_sid, params=params)

    @classmethod
    def for_call(cls, call_data, params: TwilioFrameSerializer.InputParams | None = None
                 ) -> "SmartAlexFrameSerializer":
        """From what `pipecat.runner.utils.parse_telephony_websocket` read off the socket."""
        return cls(call_data["stream_id"], call_data["call_id"], params)

    async def serialize(self, frame: Frame) -> str | bytes | None:
        if isinstance(frame, _REQUESTS):
            return json.dumps(frame.message)
        return await super().serialize(frame)

    async def deserialize(self, data: str | bytes) -> Frame | None:
        try:
            event = json.loads(data).get("event")
        except (ValueError, AttributeError):
            return await super().deserialize(data)
        if event not in _ANSWERS:
            return await super().deserialize(data)   # media, dtmf, ...: Twilio's, unchanged
        try:
            message = protocol.parse_edge_message(data)
        except protocol.ProtocolError as exc:
            logger.warning(f"{self}: ignored a malformed {event} event: {exc}")
            return None
        if isinstance(message, protocol.TransferOutcome):
            return TransferOutcomeFrame(message)
        if isinstance(message, protocol.Resolved):
            return ResolvedFrame(message.text, message.resolution)
        return DirectoryFrame(message.entries)
