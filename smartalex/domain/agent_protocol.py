"""The agent protocol, defined once: every message between the edge and an agent, its JSON, and
how each side reads the other's (docs/agent-protocol.md explains it to agent authors).

It is Twilio Media Streams (`connected`, `start`, `media`, `dtmf`, `mark`, `clear`, `stop`, with
Twilio's field names and its numbers-as-strings) plus SmartAlex's own events: `transfer`,
`hangup`, `resolve` and `directory` from the agent, and the answers `transfer` (an outcome),
`resolved` and `directory` from the edge. The edge (edge/media/stream.py, edge/call_session.py),
the built-in receptionist (agents/receptionist), the Pipecat serializer (smartalex/pipecat) and
the test doubles all build and read messages here, so none of them spells a field by hand.

Pure: no I/O, nothing from edge/, so any agent can import it. Each message is a frozen
dataclass; `encode` turns one into its JSON object, `parse_agent_message` and
`parse_edge_message` turn a received text frame back into one. A frame that is not the protocol
raises `ProtocolError` (with what is wrong); an event this version does not know parses to
None, to be ignored as Twilio ignores unknown events.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from .directory import Candidate, DirectoryEntry, Resolution, Verdict

SAMPLE_RATE = 8000
FRAME_MS = 20
ULAW_FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000   # 160: 20 ms of 8 kHz μ-law
MEDIA_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": SAMPLE_RATE, "channels": 1}
PROTOCOL_VERSION = "1.0.0"


class ProtocolError(ValueError):
    """A frame that is not a message of the protocol; the text says what is wrong."""


class TransferStatus(StrEnum):
    ACCEPTED = "accepted"     # the PBX accepted the REFER: it will try
    COMPLETED = "completed"   # the PBX's final NOTIFY was 2xx: the caller is gone
    FAILED = "failed"         # refused, final NOTIFY >= 300, or no final NOTIFY in time
    NO_MATCH = "no_match"     # the target matched no directory entry: nothing was sent
    AMBIGUOUS = "ambiguous"   # it matched several: nothing was sent, ask the caller


FINAL_TRANSFER_STATUSES = frozenset(TransferStatus) - {TransferStatus.ACCEPTED}


# --- agent -> edge -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Media:
    """Audio for the caller (μ-law, 8 kHz, any length), queued after what was sent before."""

    event: ClassVar[str] = "media"
    payload: bytes
    stream_sid: str = ""

    def body(self) -> dict[str, Any]:
        return {"media": {"payload": _b64(self.payload)}}


@dataclass(frozen=True)
class Mark:
    """Echoed back by the edge once the audio queued before it has played (or was cleared)."""

    event: ClassVar[str] = "mark"
    name: str
    stream_sid: str = ""

    def body(self) -> dict[str, Any]:
        return {"mark": {"name": self.name}}


@dataclass(frozen=True)
class Clear:
    """Barge-in: drop every queued audio frame at once."""

    event: ClassVar[str] = "clear"
    stream_sid: str = ""

    def body(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Transfer:
    """Blind-transfer the caller to a name, alias or extension of the trunk's directory, once
    the audio queued before it has played."""

    event: ClassVar[str] = "transfer"
    target: str

    def body(self) -> dict[str, Any]:
        return {"transfer": {"target": self.target}}


@dataclass(frozen=True)
class Hangup:
    """End the call once the audio queued before it has played."""

    event: ClassVar[str] = "hangup"

    def body(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class Resolve:
    """Ask the directory matcher about a caller's words, without transferring. A speech
    recogniser may add its other hypotheses (`alternatives`: text and weight, best first): a
    match the alternatives contradict comes back ambiguous (smartalex/domain/
    matching_hypotheses.py)."""

    event: ClassVar[str] = "resolve"
    text: str
    alternatives: tuple[tuple[str, float], ...] = ()

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"text": self.text}
        if self.alternatives:
            body["alternatives"] = [{"text": t, "weight": round(w, 4)}
                                    for t, w in self.alternatives]
        return {"resolve": body}


@dataclass(frozen=True)
class DirectoryRequest:
    """Ask for the trunk's directory (e.g. a speech recogniser's vocabulary)."""

    event: ClassVar[str] = "directory"

    def body(self) -> dict[str, Any]:
        return {}


AgentMessage = Media | Mark | Clear | Transfer | Hangup | Resolve | DirectoryRequest


# --- edge -> agent -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Connected:
    event: ClassVar[str] = "connected"

    def body(self) -> dict[str, Any]:
        return {"protocol": "Call", "version": PROTOCOL_VERSION}


@dataclass(frozen=True)
class Start:
    """The call: who called, which trunk, which agent (`custom_parameters`, all strings)."""

    event: ClassVar[str] = "start"
    stream_sid: str
    account_sid: str      # the tenant
    call_sid: str         # the edge's call id, as in the call record
    custom_parameters: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"start": {"streamSid": self.stream_sid, "accountSid": self.account_sid,
                          "callSid": self.call_sid, "tracks": ["inbound"],
                          "mediaFormat": dict(MEDIA_FORMAT),
                          "customParameters": dict(self.custom_parameters)}}


@dataclass(frozen=True)
class CallerMedia:
    """20 ms of the caller's audio; `chunk` counts from 1, `timestamp` is ms since `start`."""

    event: ClassVar[str] = "media"
    chunk: int
    timestamp: int
    payload: bytes

    def body(self) -> dict[str, Any]:
        return {"media": {"track": "inbound", "chunk": str(self.chunk),
                          "timestamp": str(self.timestamp), "payload": _b64(self.payload)}}


@dataclass(frozen=True)
class Dtmf:
    event: ClassVar[str] = "dtmf"
    digit: str

    def body(self) -> dict[str, Any]:
        return {"dtmf": {"track": "inbound_track", "digit": self.digit}}


@dataclass(frozen=True)
class MarkPlayed:
    event: ClassVar[str] = "mark"
    name: str

    def body(self) -> dict[str, Any]:
        return {"mark": {"name": self.name}}


@dataclass(frozen=True)
class TransferOutcome:
    """What became of a `transfer`: `accepted`, then one final status."""

    event: ClassVar[str] = "transfer"
    target: str | None
    status: TransferStatus
    extension: str | None = None
    display_name: str | None = None
    sip_code: int | None = None
    reason: str | None = None
    candidates: tuple[Candidate, ...] = ()

    @property
    def final(self) -> bool:
        return self.status in FINAL_TRANSFER_STATUSES

    def body(self) -> dict[str, Any]:
        return {"transfer": {"target": self.target, "status": self.status.value,
                             "extension": self.extension, "display_name": self.display_name,
                             "sip_code": self.sip_code, "reason": self.reason,
                             "candidates": [candidate_json(c) for c in self.candidates]}}


@dataclass(frozen=True)
class Resolved:
    event: ClassVar[str] = "resolved"
    text: str
    resolution: Resolution

    def body(self) -> dict[str, Any]:
        r = self.resolution
        return {"resolved": {"text": self.text, "verdict": r.verdict.value,
                             "match": candidate_json(r.match) if r.match else None,
                             "candidates": [candidate_json(c) for c in r.candidates]}}


@dataclass(frozen=True)
class Directory:
    event: ClassVar[str] = "directory"
    entries: tuple[DirectoryEntry, ...]

    def body(self) -> dict[str, Any]:
        return {"directory": {"entries": [
            {"extension": e.extension, "display_name": e.display_name,
             "aliases": list(e.aliases)} for e in self.entries]}}


@dataclass(frozen=True)
class Stop:
    event: ClassVar[str] = "stop"
    account_sid: str
    call_sid: str

    def body(self) -> dict[str, Any]:
        return {"stop": {"accountSid": self.account_sid, "callSid": self.call_sid}}


EdgeMessage = (Connected | Start | CallerMedia | Dtmf | MarkPlayed | TransferOutcome | Resolved
               | Directory | Stop)


# --- encoding ----------------------------------------------------------------------------------
def encode(message: AgentMessage | EdgeMessage) -> dict[str, Any]:
    """An agent's message as its JSON object (Twilio's `streamSid` where Twilio has one)."""
    head: dict[str, Any] = {"event": message.event}
    stream_sid = getattr(message, "stream_sid", None)
    if stream_sid and not isinstance(message, Start):
        head["streamSid"] = stream_sid
    return {**head, **message.body()}


def dumps(message: AgentMessage | EdgeMessage) -> str:
    """One text frame."""
    return json.dumps(encode(message), separators=(",", ":"))


@dataclass
class Envelope:
    """What the edge wraps each message of one stream in, as Twilio does: a `sequenceNumber`
    counting from 1 and the `streamSid` (strings); `connected` goes bare."""

    stream_sid: str
    sequence: int = 0

    def wrap(self, message: EdgeMessage) -> dict[str, Any]:
        if isinstance(message, Connected):
            return encode(message)
        self.sequence += 1
        return {"event": message.event, "sequenceNumber": str(self.sequence),
                "streamSid": self.stream_sid, **message.body()}


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    return {"extension": candidate.extension, "display_name": candidate.display_name,
            "matched": candidate.matched, "confidence": round(candidate.confidence, 3)}


# --- parsing -----------------------------------------------------------------------------------
def parse_agent_message(raw: str | bytes) -> AgentMessage | None:
    """What an agent sent, read by the edge; None for an event this version does not know."""
    message = _object(raw)
    event = message.get("event")
    sid = _text(message.get("streamSid", ""), "streamSid")
    if event == "media":
        return Media(_payload(_part(message, "media")), sid)
    if event == "mark":
        return Mark(_required_text(_part(message, "mark"), "mark", "name"), sid)
    if event == "clear":
        return Clear(sid)
    if event == "transfer":
        return Transfer(_required_text(_part(message, "transfer"), "transfer", "target"))
    if event == "hangup":
        return Hangup()
    if event == "resolve":
        resolve = _part(message, "resolve")
        return Resolve(_text(resolve.get("text", ""), "resolve.text"),
                       _alternatives(resolve.get("alternatives")))
    if event == "directory":
        return DirectoryRequest()
    return None


def parse_edge_message(raw: str | bytes) -> EdgeMessage | None:
    """What the edge sent, read by an agent; None for an event this version does not know."""
    message = _object(raw)
    event = message.get("event")
    if event == "connected":
        return Connected()
    if event == "start":
        start = _part(message, "start")
        params = start.get("customParameters") or {}
        if not isinstance(params, dict):
            raise ProtocolError("start.customParameters must be an object")
        return Start(stream_sid=_text(start.get("streamSid") or message.get("streamSid", ""),
                                      "start.streamSid"),
                     account_sid=_text(start.get("accountSid", ""), "start.accountSid"),
                     call_sid=_text(start.get("callSid", ""), "start.callSid"),
                     custom_parameters={str(k): str(v) for k, v in params.items()
                                        if v is not None})
    if event == "media":
        media = _part(message, "media")
        return CallerMedia(chunk=_int(media.get("chunk", 0), "media.chunk"),
                           timestamp=_int(media.get("timestamp", 0), "media.timestamp"),
                           payload=_payload(media))
    if event == "dtmf":
        return Dtmf(_required_text(_part(message, "dtmf"), "dtmf", "digit"))
    if event == "mark":
        return MarkPlayed(_required_text(_part(message, "mark"), "mark", "name"))
    if event == "transfer":
        return _transfer_outcome(_part(message, "transfer"))
    if event == "resolved":
        resolved = _part(message, "resolved")
        return Resolved(_text(resolved.get("text") or "", "resolved.text"),
                        parse_resolution(resolved))
    if event == "directory":
        return Directory(tuple(parse_directory(_part(message, "directory"))))
    if event == "stop":
        stop = message.get("stop") or {}
        return Stop(_text(stop.get("accountSid", ""), "stop.accountSid"),
                    _text(stop.get("callSid", ""), "stop.callSid"))
    return None


def parse_resolution(body: dict) -> Resolution:
    """The `resolved` event's body: {text, verdict, match, candidates}."""
    try:
        verdict = Verdict(body.get("verdict"))
    except ValueError:
        raise ProtocolError("resolved.verdict must be one of "
                            f"{', '.join(v.value for v in Verdict)}") from None
    match = _candidate(body["match"]) if body.get("match") else None
    return Resolution(verdict, match, _candidates(body.get("candidates")))


def parse_directory(body: dict) -> list[DirectoryEntry]:
    """The `directory` event's body: {entries: [{extension, display_name, aliases}]}."""
    entries = body.get("entries") or ()
    if not isinstance(entries, list):
        raise ProtocolError("directory.entries must be a list")
    try:
        return [DirectoryEntry(extension=str(e["extension"]), display_name=str(e["display_name"]),
                               aliases=tuple(str(a) for a in e.get("aliases") or ()))
                for e in entries]
    except (KeyError, TypeError, AttributeError):
        raise ProtocolError("each directory entry needs extension and display_name") from None


def _transfer_outcome(body: dict) -> TransferOutcome:
    try:
        status = TransferStatus(body.get("status"))
    except ValueError:
        raise ProtocolError("transfer.status must be one of "
                            f"{', '.join(s.value for s in TransferStatus)}") from None
    code = body.get("sip_code")
    return TransferOutcome(
        target=_optional_text(body.get("target")), status=status,
        extension=_optional_text(body.get("extension")),
        display_name=_optional_text(body.get("display_name")),
        sip_code=None if code is None else _int(code, "transfer.sip_code"),
        reason=_optional_text(body.get("reason")),
        candidates=_candidates(body.get("candidates")))


MAX_ALTERNATIVES = 20


def _alternatives(value: Any) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ALTERNATIVES:
        raise ProtocolError(f"resolve.alternatives must be a list of at most {MAX_ALTERNATIVES}")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ProtocolError("each of resolve.alternatives must be {text, weight}")
        weight = item.get("weight", 0.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not 0.0 <= weight <= 1.0:
            raise ProtocolError("resolve.alternatives[].weight must be a number from 0 to 1")
        out.append((_text(item.get("text", ""), "resolve.alternatives[].text"), float(weight)))
    return tuple(out)


def _candidates(value: Any) -> tuple[Candidate, ...]:
    if not isinstance(value, (list, type(None))):
        raise ProtocolError("candidates must be a list")
    return tuple(_candidate(c) for c in value or ())


def _candidate(data: Any) -> Candidate:
    try:
        return Candidate(extension=str(data["extension"]),
                         display_name=str(data.get("display_name") or data["extension"]),
                         matched=str(data.get("matched", "")),
                         confidence=float(data.get("confidence", 0.0)))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ProtocolError("a candidate needs an extension (and a numeric confidence)") from None


def _object(raw: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except (ValueError, TypeError):
        raise ProtocolError("not JSON: every message is one JSON object in a text frame") \
            from None
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object: every message is {\"event\": ..., ...}")
    return message


def _part(message: dict, name: str) -> dict[str, Any]:
    part = message.get(name)
    if not isinstance(part, dict):
        raise ProtocolError(f"a {message.get('event')} event needs a {name!r} object")
    return part


def _payload(media: dict) -> bytes:
    text = _text(media.get("payload"), "media.payload")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("media.payload must be base64 (μ-law, 8 kHz)") from None


def _required_text(part: dict, name: str, key: str) -> str:
    value = _text(part.get(key), f"{name}.{key}")
    if not value:
        raise ProtocolError(f"{name}.{key} must not be empty")
    return value


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ProtocolError(f"{what} must be a string")
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ProtocolError(f"{what} must be a number") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
