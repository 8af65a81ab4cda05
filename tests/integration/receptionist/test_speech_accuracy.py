"""How well the recogniser understands synthetic requests against the demo-like directory.

Run `python -m agents.receptionist.bench --verbose` for all voices; this keeps one voice
as a regression floor (figures in docs/receptionist.md).
"""

from __future__ import annotations

import pytest

from agents.receptionist.bench import REQUESTS, measure

pytestmark = pytest.mark.timeout(120)


def test_requests_in_a_synthetic_voice_mostly_reach_the_right_extension_and_never_wrong():
    (score,) = measure(["en-us"])
    print(f"\n{score}")
    for miss in score.misses:
        print("   ", miss)
    assert score.right >= 0.7 * len(REQUESTS)
    assert score.wrong <= 1
    assert score.wer < 0.35
    assert score.rtf < 0.5
