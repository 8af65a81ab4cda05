"""docs/api.md lists every operation of the OpenAPI document, so an admin reading it misses
no route (the directory's were missing once)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def test_every_operation_is_in_the_route_table_of_docs_api_md():
    from chalicelib.openapi import OPERATIONS

    routes = DOC.read_text().split("## Routes", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for row in routes.splitlines():
        for methods, path in re.findall(r"`((?:[A-Z]+`?/?`?)+) (/v1/[^` \[]+)", row):
            listed.update((m, path) for m in re.findall(r"[A-Z]+", methods))
    missing = sorted((op.method, op.path) for op in OPERATIONS
                     if (op.method, op.path) not in listed)
    assert not missing, f"not in docs/api.md's route table: {missing}"
