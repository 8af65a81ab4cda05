"""The agent side of docs/agent-protocol.md in one place: the messages the receptionist sends,
and how it reads the edge's answers. Every message is one JSON text frame."""

from __future__ import annotations

import base64

from smartalex.domain.directory import Candidate, DirectoryEntry, Resolution, Verdict


# --- agent -> edge ---
def media(stream_sid: str, ulaw: bytes) -> dict:
    return {"event": "media", "streamSid": stream_sid,
            "media": {"payload": base64.b64encode(ulaw).decode()}}


def mark(stream_sid: str, name: str) -> dict:
    return {"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}


def clear(stream_sid: str) -> dict:
    return {"event": "clear", "streamSid": stream_sid}


def transfer(target: str) -> dict:
    return {"event": "transfer", "transfer": {"target": target}}


def hangup() -> dict:
    return {"event": "hangup"}


def resolve(text: str) -> dict:
    return {"event": "resolve", "resolve": {"text": text}}


def directory_request() -> dict:
    return {"event": "directory"}


# --- edge -> agent ---
def payload(message: dict) -> bytes:
    """The μ-law audio of a `media` event."""
    return base64.b64decode(message["media"]["payload"])


def parse_directory(body: dict) -> list[DirectoryEntry]:
    """The `directory` event's body: {entries: [{extension, display_name, aliases}]}."""
    return [DirectoryEntry(extension=str(e["extension"]), display_name=str(e["display_name"]),
                           aliases=tuple(str(a) for a in e.get("aliases") or ()))
            for e in body.get("entries") or ()]


def _candidate(data: dict) -> Candidate:
    return Candidate(extension=str(data["extension"]),
                     display_name=str(data.get("display_name") or data["extension"]),
                     matched=str(data.get("matched", "")),
                     confidence=float(data.get("confidence", 0.0)))


def parse_resolution(body: dict) -> Resolution:
    """The `resolved` event's body. The protocol gives {text, match, candidates}; a `verdict`
    field is used when present, otherwise: a match is a match, two or more candidates without
    one are ambiguous, and anything else is no match."""
    match = _candidate(body["match"]) if body.get("match") else None
    candidates = tuple(_candidate(c) for c in body.get("candidates") or ())
    verdict = body.get("verdict")
    if verdict in {v.value for v in Verdict}:
        return Resolution(Verdict(verdict), match, candidates)
    if match is not None:
        return Resolution(Verdict.MATCH, match, candidates)
    if len(candidates) >= 2:
        return Resolution(Verdict.AMBIGUOUS, None, candidates)
    return Resolution(Verdict.NO_MATCH, None, candidates)
