"""The shipped demo directory and labelled utterances (benchmarks/data/), for the matcher tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.matching import Matcher

DATA = Path(__file__).resolve().parents[3] / "benchmarks" / "data"


def demo_entries() -> list[DirectoryEntry]:
    raw = json.loads((DATA / "demo_directory.json").read_text())
    return [DirectoryEntry(e["extension"], e["display_name"], tuple(e["aliases"]))
            for e in raw["entries"]]


def labelled(name: str) -> list[dict]:
    lines = (DATA / name).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def demo() -> Matcher:
    return Matcher(demo_entries())
