"""What the edge reports (edge/reports.py): stamped in order per trunk, kept for calls that
outlive the trunk's lease, and sent off the loop."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from edge.protocol import Report
from edge.reports import PAST_HOLDINGS, Outbox, Stamps
from smartalex.domain.messages import CallEnded, RegistrationObserved
from smartalex.domain.registration import RegistrationState

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
REGISTERED = RegistrationObserved(state=RegistrationState.REGISTERED)
ENDED = CallEnded(call_id="call-1", extension="1000", caller={"number": "300"},
                  started_at=NOW, ended_at=NOW, outcome="answered")


def test_each_trunks_reports_carry_its_fence_and_a_growing_sequence():
    stamps = Stamps("edge-a")
    stamps.held("trk_1", "acme", fence=3)
    first, second = (stamps.stamp(Report("trk_1", 2, REGISTERED)) for _ in range(2))
    assert (first.tenant, first.generation, first.fence, first.sequence) == ("acme", 2, 3, 1)
    assert second.sequence == 2 and second.order > first.order
    stamps.held("trk_1", "acme", fence=3)  # a new generation under the same claim
    assert stamps.stamp(Report("trk_1", 3, REGISTERED)).sequence == 3


def test_a_registration_status_is_not_ours_to_say_once_let_go_but_a_calls_record_is():
    stamps = Stamps("edge-a")
    stamps.held("trk_1", "acme", fence=3)
    stamps.stamp(Report("trk_1", 1, REGISTERED))
    stamps.let_go("trk_1")
    assert stamps.stamp(Report("trk_1", 1, REGISTERED)) is None
    ended = stamps.stamp(Report("trk_1", 1, ENDED))
    assert (ended.tenant, ended.fence, ended.sequence) == ("acme", 3, 2)
    assert stamps.stamp(Report("trk_never", 1, ENDED)) is None


def test_only_the_newest_let_go_trunks_are_remembered():
    stamps = Stamps("edge-a")
    for i in range(PAST_HOLDINGS + 1):
        stamps.held(f"trk_{i}", "acme", fence=1)
        stamps.let_go(f"trk_{i}")
    assert stamps.stamp(Report("trk_0", 1, ENDED)) is None
    assert stamps.stamp(Report(f"trk_{PAST_HOLDINGS}", 1, ENDED)) is not None


class StuckPublisher:
    """SQS that fails until told otherwise, then takes everything."""

    def __init__(self):
        self.up = threading.Event()
        self.sent = []

    def publish(self, batch):
        if not self.up.is_set():
            raise ConnectionError("SQS unreachable")
        self.sent.append(list(batch))


def test_the_outbox_sends_ten_at_a_time_in_order_once_sqs_answers():
    stamps = Stamps("edge-a")
    stamps.held("trk_1", "acme", fence=1)
    publisher = StuckPublisher()
    outbox = Outbox(publisher)
    outbox.RETRY_AFTER = 0.01
    outbox.start()
    try:
        for _ in range(25):
            outbox.put(stamps.stamp(Report("trk_1", 1, REGISTERED)))  # never blocks
        assert not outbox.flush(timeout=0.2) and outbox.pending() == 25
        publisher.up.set()
        assert outbox.flush(timeout=5)
        assert [len(b) for b in publisher.sent] == [10, 10, 5]
        assert [e.sequence for b in publisher.sent for e in b] == list(range(1, 26))
    finally:
        outbox.stop()
