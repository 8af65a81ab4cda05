"""What the directory routes answer, as pydantic models (rendering and OpenAPI schemas in one,
as in render.py). Kept apart from render.py so the resources' views do not collide."""

from __future__ import annotations

from chalice import Response
from pydantic import BaseModel, Field

from smartalex.domain.directory import Candidate, DirectoryEntry, Resolution, Verdict


class DirectoryEntryView(BaseModel):
    extension: str
    display_name: str
    aliases: list[str]

    @classmethod
    def of(cls, entry: DirectoryEntry) -> "DirectoryEntryView":
        return cls(extension=entry.extension, display_name=entry.display_name,
                   aliases=list(entry.aliases))


class DirectoryView(BaseModel):
    entries: list[DirectoryEntryView]  # sorted by extension, numbers in numeric order


class DirectoryCandidateView(BaseModel):
    extension: str
    display_name: str
    matched: str = Field(description="The name, alias or number the request matched")
    confidence: float = Field(ge=0, le=1)

    @classmethod
    def of(cls, candidate: Candidate) -> "DirectoryCandidateView":
        return cls(extension=candidate.extension, display_name=candidate.display_name,
                   matched=candidate.matched, confidence=candidate.confidence)


class DirectoryResolutionView(BaseModel):
    """`match` is set only for verdict `match`; otherwise ask the caller again, offering the
    candidates (best first) or reception."""

    match: DirectoryCandidateView | None
    verdict: Verdict
    candidates: list[DirectoryCandidateView]

    @classmethod
    def of(cls, resolution: Resolution) -> "DirectoryResolutionView":
        match = resolution.match
        return cls(match=DirectoryCandidateView.of(match) if match else None,
                   verdict=resolution.verdict,
                   candidates=[DirectoryCandidateView.of(c) for c in resolution.candidates])


def entry(entry: DirectoryEntry, status: int = 200) -> Response:
    return Response(body=DirectoryEntryView.of(entry).model_dump(mode="json"), status_code=status)


def entries(items: list[DirectoryEntry]) -> Response:
    body = DirectoryView(entries=[DirectoryEntryView.of(e) for e in items])
    return Response(body=body.model_dump(mode="json"), status_code=200)


def resolution(resolution: Resolution) -> Response:
    body = DirectoryResolutionView.of(resolution)
    return Response(body=body.model_dump(mode="json"), status_code=200)
