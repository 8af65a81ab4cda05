"""A trunk's directory and matching what a caller asks for against it.

The interface is fixed here (entries, candidates, resolution); the matching itself is
implemented in `matching.py` so the API, the edge and the benchmark share one matcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class DirectoryEntry:
    extension: str
    display_name: str
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How a transfer to this entry reads in a call record: "215 (Sarah Murphy)"."""
        return f"{self.extension} ({self.display_name})"


def by_extension(entry: DirectoryEntry) -> tuple:
    """Sort key: numeric extensions in numeric order (100, 215, 1000), then the others."""
    ext = entry.extension
    return (0, int(ext), ext) if ext.isascii() and ext.isdigit() else (1, 0, ext)


@dataclass(frozen=True)
class Candidate:
    extension: str
    display_name: str
    matched: str        # the name, alias or number the request matched
    confidence: float   # 0..1


class Verdict(StrEnum):
    MATCH = "match"
    AMBIGUOUS = "ambiguous"   # two entries too close to call: ask again
    NO_MATCH = "no_match"     # nothing close enough: ask again, or offer reception
    EMPTY = "empty"           # nothing usable in the request


@dataclass(frozen=True)
class Resolution:
    verdict: Verdict
    match: Candidate | None
    candidates: tuple[Candidate, ...]
