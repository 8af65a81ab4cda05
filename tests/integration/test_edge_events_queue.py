"""The edge-events handler on a real SQS queue: redelivery, reordering and poison messages."""

from __future__ import annotations

import time

import pytest

from smartalex.adapters import aws
from smartalex.adapters.queues import QUEUES
from smartalex.domain.commands import CreateTrunk
from smartalex.domain.messages import RegistrationObserved, wrap
from smartalex.service_layer import trunks as svc

from .conftest import drain, empty, send


@pytest.fixture
def trunk(services, tenant):
    return svc.create_trunk(CreateTrunk(tenant_id=tenant, pbx_type="asterisk", domain="127.0.0.1",
                                        extension="1000", password="pw"),
                            trunks=services.trunks, secrets=services.secrets)


def envelope(trunk, state, sequence, **payload):
    return wrap(RegistrationObserved(state=state, **payload), edge="edge-a", tenant=trunk.tenant_id,
                trunk=trunk.trunk_id, generation=trunk.generation, fence=1, sequence=sequence)


def status(services, trunk):
    return services.trunks.get(trunk.tenant_id, trunk.trunk_id).registration


def test_a_redelivered_message_changes_nothing(queue, services, trunk, pump):
    registered = envelope(trunk, "registered", 2, sip_code=200).to_json()
    send(queue, registered)
    drain(pump, 1)
    first = status(services, trunk)
    send(queue, registered)  # SQS delivers at least once
    drain(pump, 1)
    assert status(services, trunk) == first
    assert first.state == "registered"


def test_a_late_connecting_never_overwrites_a_newer_registered(queue, services, trunk, pump):
    send(queue, envelope(trunk, "registered", 2, sip_code=200).to_json())
    drain(pump, 1)
    send(queue, envelope(trunk, "connecting", 1).to_json())
    drain(pump, 1)
    assert status(services, trunk).state == "registered"


def test_a_poison_message_ends_in_the_dlq_and_the_rest_of_its_batch_is_applied(
        queue, aws_endpoint, services, trunk, pump):
    dlq = aws_endpoint["queues"]["edge_events_dlq"]
    sqs = aws.client("sqs")
    empty(dlq)
    send(queue, '{"type": "registration.observed", "version": 99}',
         envelope(trunk, "failed", 3, sip_code=401, problem="auth").to_json())
    max_receives = QUEUES[0].max_receive_count
    deadline = time.monotonic() + 30
    while True:
        pump.pump_once(wait_seconds=1)
        moved = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", [])
        if moved:
            break
        assert time.monotonic() < deadline, "the poison message never reached the DLQ"
    assert '"version": 99' in moved[0]["Body"]
    assert status(services, trunk).state == "failed"
    assert max_receives >= 2  # retried before being given up on


class BrokenCalls:
    """A call store that is down: every add fails."""

    def add(self, record, line_key):
        raise ConnectionError("calls table unreachable")


def test_a_message_given_up_on_leaves_an_error_record_for_its_trunk(
        queue, aws_endpoint, services, trunk, pump):
    from datetime import datetime, timedelta, timezone

    from functions.edge_events import handler
    from smartalex.bootstrap import Services
    from smartalex.domain.messages import CallEnded, PartyInfo

    dlq = aws_endpoint["queues"]["edge_events_dlq"]
    empty(dlq)
    now = datetime.now(timezone.utc)
    ended = wrap(CallEnded(call_id="CA1", extension="1000", caller=PartyInfo(number="300"),
                           started_at=now, ended_at=now, outcome="no_answer"),
                 edge="edge-a", tenant=trunk.tenant_id, trunk=trunk.trunk_id,
                 generation=trunk.generation, fence=1, sequence=9)
    handler.use_services(Services(trunks=services.trunks, errors=services.errors,
                                  numbers=services.numbers, calls=BrokenCalls()))
    try:
        send(queue, ended.to_json())
        deadline = time.monotonic() + 30
        while not aws.client("sqs").receive_message(QueueUrl=dlq).get("Messages"):
            assert time.monotonic() < deadline, "the message never reached the DLQ"
            pump.pump_once(wait_seconds=1)
    finally:
        handler.use_services(None)
    recorded = services.errors.recent(trunk.trunk_id, now - timedelta(minutes=5), 5)
    assert [e.source for e in recorded] == ["queue"]
    assert "call.ended" in recorded[0].message and "dead-letter queue" in recorded[0].message
