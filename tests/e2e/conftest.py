"""When an end-to-end test fails, its report carries the local stack's logs: CI keeps nothing
else, and a call refused by the PBX or by the edge looks the same from the phone."""

from __future__ import annotations

from pathlib import Path

import pytest

TAIL_LINES = 80


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as err:
        return f"({err})"
    return "\n".join(lines[-TAIL_LINES:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and stack is not None:
        for path in stack.log_files():
            report.sections.append((f"local stack: {path.name}, last {TAIL_LINES} lines",
                                    _tail(path)))
    return report
