"""What the edge reports (registration changes, call records, errors): stamped by the loop, sent
to SQS by a thread of its own.

Every message carries (generation, fence, sequence) so that the edge-events handler applies a
trunk's messages in order and ignores a previous holder's (domain/messages.py). `Stamps` keeps
the fence and sequence of each trunk the edge holds, and of the last ones it let go of: a call
outlives its trunk's lease (the edge un-registers at once when it drains or loses the trunk,
the call goes on), and what it reports when it ends still needs the trunk's tenant and a
sequence. `Outbox` sends on its own thread, so a slow or stalled SQS never holds the loop.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from smartalex.domain.messages import Envelope, RegistrationObserved, wrap
from smartalex.domain.registration import Problem

from .protocol import Report

logger = Logger(service="edge")
# Holdings let go of, kept to stamp what calls still in progress report (newest kept).
PAST_HOLDINGS = 256
# Messages waiting for SQS beyond this are dropped, oldest first: the newest status is what
# matters, and an edge cut off from SQS for long must not grow without bound.
OUTBOX_LIMIT = 10_000
BATCH = 10  # SendMessageBatch takes ten


@dataclass
class _Stamp:
    tenant: str
    fence: int
    sequence: int = 0


class Stamps:
    def __init__(self, edge_id: str):
        self.edge_id = edge_id
        self._held: dict[str, _Stamp] = {}
        self._past: OrderedDict[str, _Stamp] = OrderedDict()

    def held(self, trunk_id: str, tenant: str, fence: int) -> None:
        """The edge holds the trunk (claimed, or a new generation under the same claim)."""
        current = self._held.get(trunk_id)
        if current is None or current.fence != fence:
            self._held[trunk_id] = _Stamp(tenant, fence)
        self._past.pop(trunk_id, None)

    def let_go(self, trunk_id: str) -> None:
        stamp = self._held.pop(trunk_id, None)
        if stamp:
            self._past[trunk_id] = stamp
            self._past.move_to_end(trunk_id)
            while len(self._past) > PAST_HOLDINGS:
                self._past.popitem(last=False)

    def stamp(self, report: Report) -> Envelope | None:
        """The report as a message; None when it is no longer ours to say (a registration
        status of a trunk the edge no longer holds)."""
        if isinstance(report.payload, RegistrationObserved) \
                and report.payload.problem is not Problem.NO_EDGE:
            stamp = self._held.get(report.trunk_id)
        else:  # a call's record or error, or a let-go: also after the trunk's lease went back
            stamp = self._held.get(report.trunk_id) or self._past.get(report.trunk_id)
        if stamp is None:
            return None
        stamp.sequence += 1
        return wrap(report.payload, edge=self.edge_id, tenant=stamp.tenant,
                    trunk=report.trunk_id, generation=report.generation, fence=stamp.fence,
                    sequence=stamp.sequence)


class Outbox:
    """Messages for the edge-events queue, sent ten at a time by a thread of its own; a batch
    that fails is sent again after a pause (SQS deduplicates nothing here: the handler is
    idempotent by each message's order)."""

    RETRY_AFTER = 1.0

    def __init__(self, publisher):
        self.publisher = publisher
        self._queue: deque[Envelope] = deque()
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._sending = 0
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> "Outbox":
        self._thread.start()
        return self

    def put(self, envelope: Envelope) -> None:
        with self._lock:
            self._queue.append(envelope)
            while len(self._queue) > OUTBOX_LIMIT:
                self._queue.popleft()
                self._dropped += 1
            self._lock.notify()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._sending

    def flush(self, timeout: float) -> bool:
        """Wait until everything put so far was sent (or `timeout`); True if it was."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._queue and not self._sending, timeout)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                self._lock.wait_for(lambda: self._queue or self._stop.is_set())
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                self._sending = len(batch)
                dropped, self._dropped = self._dropped, 0
            if dropped:
                logger.error("edge messages dropped: SQS has not taken them for too long",
                             extra={"dropped": dropped})
            if not batch:
                continue
            try:
                self.publisher.publish(batch)
            except Exception:
                logger.exception("could not send edge messages; retrying",
                                 extra={"pending": self.pending()})
                with self._lock:
                    self._queue.extendleft(reversed(batch))
                    self._sending = 0
                self._stop.wait(self.RETRY_AFTER)
                continue
            with self._lock:
                self._sending = 0
                self._lock.notify_all()
