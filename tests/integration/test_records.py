"""Call and error records on the moto endpoint: stored once, listed newest first with one
bounded query, and written by the edge-events handler from a real SQS queue."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from smartalex.adapters import aws, names
from smartalex.domain.call import CallOutcome, CallRecord, Party, extension_line
from smartalex.domain.commands import CreateTrunk
from smartalex.domain.errors_log import ErrorRecord, ErrorSource
from smartalex.domain.messages import (
    CallEnded,
    ErrorObserved,
    PartyInfo,
    RegistrationObserved,
    wrap,
)
from smartalex.domain.registration import AUTH_MESSAGE, Problem
from smartalex.service_layer import trunks as trunk_cases

from .conftest import drain, send

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
DAY_BEFORE = T0 - timedelta(days=1)


@pytest.fixture
def trunk_id() -> str:
    """A fresh trunk id per test: the tables are shared by the whole session."""
    return f"trk_{uuid.uuid4().hex[:20]}"


def a_call(trunk_id, call_id, *, started=0, tenant="tenant-a"):
    start = T0 + timedelta(seconds=started)
    return CallRecord(
        call_id=call_id, tenant_id=tenant, trunk_id=trunk_id, extension="1000",
        caller=Party("+35312345678", "Ann"), dialled="+35315550100", agent_id="agt_1",
        started_at=start, answered_at=start + timedelta(seconds=2),
        ended_at=start + timedelta(seconds=62), outcome=CallOutcome.TRANSFERRED,
        transfer_target="215 (Sarah Murphy)", sip_call_id=f"{call_id}@pbx",
    )


def an_error(trunk_id, error_id, *, at=0):
    return ErrorRecord(error_id=error_id, tenant_id="tenant-a", trunk_id=trunk_id,
                       source=ErrorSource.TRANSFER, message="Transfer to 215 failed",
                       hint="Check that 215 exists", at=T0 + timedelta(seconds=at),
                       call_id="call-1")


def raw_items(table: str, trunk_id: str) -> list[dict]:
    return aws.client("dynamodb").query(
        TableName=table, KeyConditionExpression="trunk_id = :t",
        ExpressionAttributeValues={":t": {"S": trunk_id}})["Items"]


@pytest.fixture
def query_count(monkeypatch):
    """How many DynamoDB Query requests the models under test send."""
    from smartalex.adapters.dynamodb.models import CallRecordModel, ErrorRecordModel

    count = {"queries": 0}
    for model in (CallRecordModel, ErrorRecordModel):
        connection = model._get_connection()
        original = connection.query

        def counted(*args, _original=original, **kwargs):
            count["queries"] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(connection, "query", counted)
    return count


# --- call records

def test_a_call_is_stored_once(services, trunk_id):
    call = a_call(trunk_id, "call-1")

    assert services.calls.add(call, extension_line(trunk_id)) is True
    assert services.calls.add(call, extension_line(trunk_id)) is False

    assert services.calls.recent(trunk_id, DAY_BEFORE, 10) == [call]
    assert len(raw_items(names.calls_table(), trunk_id)) == 1


def test_a_call_item_sorts_by_start_time_and_expires_30_days_after_it_ended(services, trunk_id):
    services.calls.add(a_call(trunk_id, "call-1"), extension_line(trunk_id))

    [item] = raw_items(names.calls_table(), trunk_id)

    assert item["sort_key"]["S"] == "2025-03-01T09:00:00.000000Z#call-1"
    assert item["line_key"]["S"] == f"{trunk_id}#ext"
    ended = T0 + timedelta(seconds=62)
    assert int(item["expires_at"]["N"]) == int((ended + timedelta(days=30)).timestamp())


def test_recent_calls_come_newest_first(services, trunk_id):
    for i, started in enumerate((0, 120, 60)):
        services.calls.add(a_call(trunk_id, f"call-{i}", started=started),
                           extension_line(trunk_id))

    recent = services.calls.recent(trunk_id, DAY_BEFORE, 10)

    assert [c.call_id for c in recent] == ["call-1", "call-2", "call-0"]


def test_recent_calls_start_at_or_after_since(services, trunk_id):
    for i in range(4):
        services.calls.add(a_call(trunk_id, f"call-{i}", started=60 * i),
                           extension_line(trunk_id))

    recent = services.calls.recent(trunk_id, T0 + timedelta(seconds=60), 10)

    assert [c.call_id for c in recent] == ["call-3", "call-2", "call-1"]


def test_recent_calls_are_limited_with_one_query(services, trunk_id, query_count):
    for i in range(5):
        services.calls.add(a_call(trunk_id, f"call-{i}", started=i), extension_line(trunk_id))

    recent = services.calls.recent(trunk_id, DAY_BEFORE, 2)

    assert [c.call_id for c in recent] == ["call-4", "call-3"]
    assert query_count["queries"] == 1


def test_calls_of_one_line_come_from_the_line_index(services, trunk_id, query_count):
    did_line = f"{trunk_id}#did:+35315550100"
    for i in range(4):
        services.calls.add(a_call(trunk_id, f"ext-{i}", started=2 * i), extension_line(trunk_id))
        services.calls.add(a_call(trunk_id, f"did-{i}", started=2 * i + 1), did_line)

    on_ext = services.calls.recent(trunk_id, DAY_BEFORE, 3, line_key=extension_line(trunk_id))
    on_did = services.calls.recent(trunk_id, T0 + timedelta(seconds=4), 10, line_key=did_line)

    assert [c.call_id for c in on_ext] == ["ext-3", "ext-2", "ext-1"]
    assert [c.call_id for c in on_did] == ["did-3", "did-2"]
    assert query_count["queries"] == 2


def test_a_line_of_another_trunk_is_refused(services, trunk_id):
    with pytest.raises(ValueError, match="not a line of trunk"):
        services.calls.recent(trunk_id, DAY_BEFORE, 10, line_key="trk_other#ext")


def test_another_trunks_calls_are_not_listed(services, trunk_id):
    other = f"trk_{uuid.uuid4().hex[:20]}"
    services.calls.add(a_call(other, "call-1"), extension_line(other))

    assert services.calls.recent(trunk_id, DAY_BEFORE, 10) == []


# --- error records

def test_an_error_is_stored_once_and_expires_after_7_days(services, trunk_id):
    error = an_error(trunk_id, "edge-1:1:1:1")

    assert services.errors.add(error) is True
    assert services.errors.add(error) is False

    assert services.errors.recent(trunk_id, DAY_BEFORE, 10) == [error]
    [item] = raw_items(names.errors_table(), trunk_id)
    assert item["sort_key"]["S"] == "2025-03-01T09:00:00.000000Z#edge-1:1:1:1"
    assert int(item["expires_at"]["N"]) == int((T0 + timedelta(days=7)).timestamp())


def test_recent_errors_come_newest_first_since_a_time_and_limited(services, trunk_id,
                                                                   query_count):
    for i in range(5):
        services.errors.add(an_error(trunk_id, f"e{i}", at=60 * i))

    since = services.errors.recent(trunk_id, T0 + timedelta(seconds=120), 10)
    limited = services.errors.recent(trunk_id, DAY_BEFORE, 2)

    assert [e.error_id for e in since] == ["e4", "e3", "e2"]
    assert [e.error_id for e in limited] == ["e4", "e3"]
    assert query_count["queries"] == 2


# --- the edge-events handler on a real queue

def message(payload, trunk_id, tenant, sequence):
    return wrap(payload, edge="edge-a", tenant=tenant, trunk=trunk_id, generation=1, fence=1,
                sequence=sequence).to_json()


def test_a_call_ended_message_redelivered_twice_leaves_one_record(queue, services, trunk_id,
                                                                   tenant, pump):
    ended = CallEnded(call_id="call-1", extension="1000", caller=PartyInfo(number="+3531234"),
                      started_at=T0, answered_at=T0 + timedelta(seconds=1),
                      ended_at=T0 + timedelta(seconds=30), outcome=CallOutcome.ANSWERED,
                      agent_id="agt_1")
    body = message(ended, trunk_id, tenant, sequence=5)

    for _ in range(3):  # delivered, then redelivered twice
        send(queue, body)
        drain(pump, 1)

    [call] = services.calls.recent(trunk_id, DAY_BEFORE, 10)
    assert (call.tenant_id, call.trunk_id, call.call_id) == (tenant, trunk_id, "call-1")
    assert call.label == "Answered by agent" and call.duration_seconds == 29
    assert len(services.calls.recent(trunk_id, DAY_BEFORE, 10,
                                     line_key=extension_line(trunk_id))) == 1


def test_an_error_observed_message_is_listed_once(queue, services, trunk_id, tenant, pump):
    observed = ErrorObserved(source=ErrorSource.CAPACITY, message="Call rejected: worker full",
                             hint="Add capacity", at=T0)
    body = message(observed, trunk_id, tenant, sequence=9)

    send(queue, body, body)
    drain(pump, 2)

    [error] = services.errors.recent(trunk_id, DAY_BEFORE, 10)
    assert error.error_id == "edge-a:1:1:9"
    assert (error.tenant_id, error.source, error.message, error.hint) == (
        tenant, ErrorSource.CAPACITY, "Call rejected: worker full", "Add capacity")


def test_a_registration_failure_from_the_queue_is_listed_once(queue, services, tenant, pump):
    trunk = trunk_cases.create_trunk(
        CreateTrunk(tenant_id=tenant, pbx_type="asterisk", domain="127.0.0.1", extension="1000",
                    password="pw"), trunks=services.trunks, secrets=services.secrets)
    failed = RegistrationObserved(state="failed", problem=Problem.AUTH, sip_code=401,
                                  reason="Unauthorized")
    body = message(failed, trunk.trunk_id, tenant, sequence=3)

    send(queue, body, body)
    drain(pump, 2)

    assert services.trunks.find(trunk.trunk_id).registration.state == "failed"
    [error] = services.errors.recent(trunk.trunk_id, DAY_BEFORE, 10)
    assert error.source == ErrorSource.REGISTRATION
    assert error.message.startswith(AUTH_MESSAGE) and "Asterisk shows them" in error.message
