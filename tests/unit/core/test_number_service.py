"""Phone-number use cases with in-memory ports: binding (and nothing stored on any refusal),
listing, unbinding, which line a finished call goes on, and Diagnostics."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from smartalex.domain.assignment import Lease
from smartalex.domain.call import CallOutcome, CallRecord, Party, extension_line
from smartalex.domain.diagnostics import Credentials
from smartalex.domain.errors import Conflict, InvalidInput, NotFound
from smartalex.domain.errors_log import ErrorRecord, ErrorSource
from smartalex.domain.messages import CallEnded, PartyInfo, wrap
from smartalex.domain.number_commands import BindPbxExtension, UnbindNumber
from smartalex.domain.registration import RegistrationState, RegistrationStatus
from smartalex.service_layer import diagnostics
from smartalex.service_layer.edge_events import record_call
from smartalex.service_layer.numbers import bind_pbx_extension, list_numbers, unbind_number

from .fakes import (
    FakeAgentRepository,
    FakeCallRecordRepository,
    FakeClock,
    FakeErrorRecordRepository,
    FakePhoneNumberRepository,
    FakeTrunkRepository,
    a_trunk,
    an_agent,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
DID = "+353871234567"


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    repo = FakeTrunkRepository()
    repo.add(a_trunk("trk_1", extension="1000"))
    repo.add(a_trunk("trk_2", extension="1001"))
    repo.add(a_trunk("trk_b", "tenant-b", extension="1000"))
    return repo


@pytest.fixture
def agents(trunks) -> FakeAgentRepository:
    repo = FakeAgentRepository(trunks)
    repo.add(an_agent("agt_1"))
    repo.add(an_agent("agt_b", "tenant-b"))
    return repo


@pytest.fixture
def numbers(trunks) -> FakePhoneNumberRepository:
    return FakePhoneNumberRepository(trunks)


@pytest.fixture
def ports(trunks, agents, numbers):
    return dict(trunks=trunks, agents=agents, numbers=numbers)


def command(tenant="tenant-a", **changes) -> BindPbxExtension:
    fields = dict(tenant_id=tenant, trunk_id="trk_1", extension="1000", agent_id="agt_1",
                  did="+353 87 123 4567")
    return BindPbxExtension(**{**fields, **changes})


def stored(trunks, numbers):
    return dict(numbers.numbers), dict(numbers.claims), {
        t: trunk.bindings_version for t, trunk in trunks.trunks.items()}


# --- binding

def test_binding_stores_the_number_claims_the_did_and_bumps_the_trunk(ports, trunks, numbers):
    routing = bind_pbx_extension(command(label="Main"), **ports, clock=FakeClock())

    number = routing.number
    assert number.number_id.startswith("num_")
    assert (number.e164, number.national_number, number.label) == (DID, "871234567", "Main")
    assert (number.trunk_id, number.extension, number.agent_id) == ("trk_1", "1000", "agt_1")
    assert numbers.claims == {f"did:{DID}": number.number_id}
    assert trunks.find("trk_1").bindings_version == 1
    assert routing.agent.agent_id == "agt_1" and routing.trunk.trunk_id == "trk_1"


@pytest.mark.parametrize("changes, field, message", [
    ({"extension": "1001"}, "extension", "extension must be the extension the trunk registers "
                                         "as (1000)"),
    ({"trunk_id": "trk_none"}, "trunk_id", "trunk_id: no such trunk"),
    ({"trunk_id": "trk_b"}, "trunk_id", "trunk_id: no such trunk"),
    ({"agent_id": "agt_none"}, "agent_id", "agent_id: no such agent"),
    ({"agent_id": "agt_b"}, "agent_id", "agent_id: no such agent"),
])
def test_a_refused_binding_stores_nothing(ports, trunks, numbers, changes, field, message):
    before = stored(trunks, numbers)

    with pytest.raises(InvalidInput) as caught:
        bind_pbx_extension(command(**changes), **ports)

    assert caught.value.field == field
    assert str(caught.value).startswith(message)
    assert stored(trunks, numbers) == before


def test_a_did_is_bound_at_most_once_across_tenants(ports, trunks, numbers):
    bind_pbx_extension(command(), **ports)
    before = stored(trunks, numbers)

    for cmd in (command(did="0871234567", country="IE"), command(trunk_id="trk_2",
                                                                 extension="1001"),
                command("tenant-b", trunk_id="trk_b", agent_id="agt_b")):
        with pytest.raises(Conflict, match=r"^\+353 87 123 4567 is already bound$"):
            bind_pbx_extension(cmd, **ports)

    assert stored(trunks, numbers) == before


def test_list_joins_trunk_and_agent_oldest_first(ports, agents):
    clock = FakeClock()
    first = bind_pbx_extension(command(), **ports, clock=clock)
    second = bind_pbx_extension(command(did="+353 1 555 0100"), **ports, clock=clock)
    bind_pbx_extension(command("tenant-b", trunk_id="trk_b", agent_id="agt_b",
                               did="+44 20 7946 0958"), **ports, clock=clock)
    agents.remove(agents.get("tenant-a", "agt_1"))

    listed = list_numbers("tenant-a", **ports)

    assert [r.number for r in listed] == [first.number, second.number]
    assert all(r.agent is None and r.trunk.trunk_id == "trk_1" for r in listed)


def test_unbinding_frees_the_did_and_bumps_the_trunk(ports, trunks, numbers):
    number = bind_pbx_extension(command(), **ports).number

    unbind_number(UnbindNumber(tenant_id="tenant-a", number_id=number.number_id),
                  numbers=numbers)

    assert numbers.numbers == {} and numbers.claims == {}
    assert trunks.find("trk_1").bindings_version == 2
    with pytest.raises(NotFound):
        unbind_number(UnbindNumber(tenant_id="tenant-a", number_id=number.number_id),
                      numbers=numbers)


def test_another_tenant_cannot_unbind(ports, numbers):
    number = bind_pbx_extension(command(), **ports).number

    with pytest.raises(NotFound):
        unbind_number(UnbindNumber(tenant_id="tenant-b", number_id=number.number_id),
                      numbers=numbers)
    assert number.number_id in numbers.numbers


# --- which line a finished call goes on

def ended(dialled, call_id="call-1"):
    return wrap(CallEnded(call_id=call_id, extension="1000", caller=PartyInfo(number="+3531"),
                          dialled=dialled, started_at=T0, answered_at=T0 + timedelta(seconds=1),
                          ended_at=T0 + timedelta(seconds=9), outcome=CallOutcome.ANSWERED),
                edge="edge-1", tenant="tenant-a", trunk="trk_1", generation=1, fence=1,
                sequence=1, time=T0)


@pytest.mark.parametrize("dialled, on_the_number", [
    ("+353871234567", True), ("0871234567", True), ("00353871234567", True),
    ("871234567", True), ("sip:+353871234567@pbx", True),
    ("+353871234568", False), ("1000", False), (None, False), ("", False),
])
def test_a_call_dialled_through_a_bound_number_goes_on_its_line(ports, numbers, dialled,
                                                                on_the_number):
    number = bind_pbx_extension(command(), **ports).number
    calls = FakeCallRecordRepository()

    record_call(ended(dialled), calls=calls, numbers=numbers)

    [(_, line)] = calls.records.values()
    assert line == (number.line_key if on_the_number else extension_line("trk_1"))
    assert number.line_key == f"trk_1#did:{DID}"


def test_a_call_without_a_dialled_number_does_not_read_the_bindings():
    class Untouchable(FakePhoneNumberRepository):
        def for_trunk(self, trunk_id):
            raise AssertionError("read the bindings for nothing")

    calls = FakeCallRecordRepository()

    assert record_call(ended(None), calls=calls, numbers=Untouchable())


# --- Diagnostics

NOW = T0 + timedelta(days=1)


def a_call(trunk_id, line_calls, *, minutes_ago, line):
    started = NOW - timedelta(minutes=minutes_ago)
    record = CallRecord(call_id=f"c{minutes_ago}", tenant_id="tenant-a", trunk_id=trunk_id,
                        extension="1000", caller=Party("+3531", "Ann"), dialled=None,
                        agent_id="agt_1", started_at=started, answered_at=started,
                        ended_at=started + timedelta(seconds=30),
                        outcome=CallOutcome.ANSWERED)
    line_calls.add(record, line)
    return record


def an_error(errors, *, minutes_ago, trunk_id="trk_1"):
    error = ErrorRecord(error_id=f"e{minutes_ago}", tenant_id="tenant-a", trunk_id=trunk_id,
                        source=ErrorSource.AGENT, message=f"Agent never answered ({minutes_ago})",
                        hint=None,
                        at=NOW - timedelta(minutes=minutes_ago))
    errors.add(error)
    return error


@pytest.fixture
def records():
    return FakeCallRecordRepository(), FakeErrorRecordRepository()


def test_a_numbers_diagnostics_lists_its_lines_calls_and_its_trunks_errors(ports, numbers,
                                                                           trunks, records):
    calls, errors = records
    number = bind_pbx_extension(command(), **ports).number
    mine = [a_call("trk_1", calls, minutes_ago=m, line=number.line_key) for m in range(12)]
    a_call("trk_1", calls, minutes_ago=1, line=extension_line("trk_1"))
    a_call("trk_1", calls, minutes_ago=60 * 25, line=number.line_key)
    errs = [an_error(errors, minutes_ago=m) for m in range(7)]
    an_error(errors, minutes_ago=2, trunk_id="trk_2")

    view = diagnostics.number_diagnostics("tenant-a", number.number_id, numbers=numbers,
                                          trunks=trunks, calls=calls, errors=errors,
                                          clock=lambda: NOW)

    assert [row.record for row in view.calls] == mine[:10]
    assert [row.record for row in view.errors] == errs[:5]
    assert view.health.last_call_at == mine[0].started_at
    assert view.window_start == NOW - timedelta(hours=24)
    assert view.number == number


def test_the_last_call_is_looked_up_beyond_the_window_only_when_it_is_empty(ports, numbers,
                                                                          trunks, records):
    calls, errors = records
    number = bind_pbx_extension(command(), **ports).number
    old = a_call("trk_1", calls, minutes_ago=60 * 24 * 3, line=number.line_key)
    a_call("trk_1", calls, minutes_ago=60 * 24 * 31, line=number.line_key)

    view = diagnostics.number_diagnostics("tenant-a", number.number_id, numbers=numbers,
                                          trunks=trunks, calls=calls, errors=errors,
                                          clock=lambda: NOW)

    assert view.calls == () and view.health.last_call_at == old.started_at


def test_a_trunks_diagnostics_lists_every_line(trunks, records):
    calls, errors = records
    on_ext = a_call("trk_1", calls, minutes_ago=2, line=extension_line("trk_1"))
    on_did = a_call("trk_1", calls, minutes_ago=1, line=f"trk_1#did:{DID}")

    view = diagnostics.trunk_diagnostics("tenant-a", "trk_1", trunks=trunks, calls=calls,
                                         errors=errors, clock=lambda: NOW)

    assert [row.record for row in view.calls] == [on_did, on_ext] and view.number is None
    with pytest.raises(NotFound):
        diagnostics.trunk_diagnostics("tenant-b", "trk_1", trunks=trunks, calls=calls,
                                      errors=errors)


@pytest.mark.parametrize("state, code, credentials", [
    (RegistrationState.REGISTERED, 200, Credentials.VALID),
    (RegistrationState.FAILED, 401, Credentials.INVALID),
    (RegistrationState.FAILED, 403, Credentials.UNKNOWN),  # most often the address, not them
    (RegistrationState.FAILED, 407, Credentials.INVALID),
    (RegistrationState.FAILED, 404, Credentials.UNKNOWN),
    (RegistrationState.FAILED, None, Credentials.UNKNOWN),  # e.g. no password readable
    (RegistrationState.CONNECTING, None, Credentials.UNKNOWN),
    (RegistrationState.CONNECTING, 408, Credentials.UNKNOWN),
])
def test_credentials_are_known_valid_once_registered_and_invalid_after_an_auth_failure(
        state, code, credentials):
    assert Credentials.of(RegistrationStatus(state=state, sip_code=code)) is credentials


@pytest.mark.parametrize("lease, held", [
    (None, False),
    (Lease("edge-1", 3, (NOW + timedelta(seconds=5)).timestamp(), T0), True),
    (Lease("edge-1", 3, NOW.timestamp(), T0), False),   # expires exactly now
])
def test_the_trunk_is_held_while_its_lease_is_unexpired(trunks, records, lease, held):
    calls, errors = records
    trunks.trunks["trk_1"] = replace(trunks.trunks["trk_1"], lease=lease)

    view = diagnostics.trunk_diagnostics("tenant-a", "trk_1", trunks=trunks, calls=calls,
                                         errors=errors, clock=lambda: NOW)

    assignment = view.health.assignment
    assert (assignment.held, assignment.edge, assignment.since) == (
        (True, "edge-1", T0) if held else (False, None, None))


def test_a_burst_of_refusals_is_one_row_and_leaves_the_answered_calls_in_view(trunks, records):
    """Issue 11: 20 calls in 2 s, 3 answered, 17 refused 486: Diagnostics showed 10 Busy rows."""
    calls, errors = records
    line = extension_line("trk_1")
    answered = [a_call("trk_1", calls, minutes_ago=m, line=line) for m in (30, 31, 32)]
    for n in range(17):
        started = NOW - timedelta(minutes=29, seconds=-n)
        calls.add(CallRecord(call_id=f"busy{n}", tenant_id="tenant-a", trunk_id="trk_1",
                             extension="1000", caller=Party(f"+3538{n}"), dialled=None,
                             agent_id="agt_1", started_at=started, answered_at=None,
                             ended_at=started, outcome=CallOutcome.BUSY), line)
        errors.add(ErrorRecord(error_id=f"busy{n}", tenant_id="tenant-a", trunk_id="trk_1",
                               source=ErrorSource.CAPACITY, message="Call refused: busy.",
                               hint="Add capacity.", at=started))
    an_error(errors, minutes_ago=40)

    view = diagnostics.trunk_diagnostics("tenant-a", "trk_1", trunks=trunks, calls=calls,
                                         errors=errors, clock=lambda: NOW)

    busy, *rest = view.calls
    assert (busy.record.outcome, busy.count) == (CallOutcome.BUSY, 17)
    assert busy.record.call_id == "busy16" and busy.first_at == NOW - timedelta(minutes=29)
    assert [row.record for row in rest] == answered and all(r.count == 1 for r in rest)
    refused, older = view.errors
    assert (refused.count, refused.record.message, older.count) == (17, "Call refused: busy.", 1)
