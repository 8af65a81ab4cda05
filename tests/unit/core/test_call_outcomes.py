"""The list of call outcomes is defined once, and the SIP suite produces every one of them."""

import re
from pathlib import Path

from smartalex.domain.call import OUTCOMES, CallOutcome

SIP_TESTS = Path(__file__).resolve().parents[2] / "integration" / "edge"
# A test that reads an outcome back: `...label == "No answer"` (last_call reads the trunk's
# Diagnostics, tests/integration/edge/office.py).
ASSERTED = re.compile(r'label == "([^"]+)"')


def asserted_labels() -> set[str]:
    labels = set()
    for path in SIP_TESTS.glob("test_*.py"):
        labels |= set(ASSERTED.findall(path.read_text()))
    return labels


def test_every_outcome_has_one_label_and_says_when_it_happens():
    assert set(OUTCOMES) == set(CallOutcome)
    labels = [info.label for info in OUTCOMES.values()]
    assert len(set(labels)) == len(labels)
    assert all(info.meaning.endswith(".") for info in OUTCOMES.values())


def test_only_outcomes_that_need_the_admin_are_problems():
    quiet = {o for o in CallOutcome if not o.problem}
    assert quiet == {CallOutcome.ANSWERED, CallOutcome.CALLER_HUNG_UP, CallOutcome.TRANSFERRED,
                     CallOutcome.NO_ANSWER, CallOutcome.ANSWERED_ELSEWHERE}


def test_every_outcome_is_produced_by_a_real_call_in_the_sip_suite():
    seen = asserted_labels()
    missing = [o.value for o in CallOutcome
               if not any(label == o.label() or label.startswith(o.label() + " to ")
                          for label in seen)]
    assert not missing, f"no SIP test reads these outcomes back from Diagnostics: {missing}"
