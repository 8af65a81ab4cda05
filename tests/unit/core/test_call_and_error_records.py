"""What edges report about calls and problems becomes call and error records, once each."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from smartalex.bootstrap import bootstrap
from smartalex.domain.call import CallOutcome, extension_line
from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.messages import (
    CallEnded,
    ErrorObserved,
    PartyInfo,
    RegistrationObserved,
    wrap,
)
from smartalex.domain.registration import AUTH_MESSAGE, Problem, RegistrationState
from smartalex.service_layer.edge_events import (
    RETRYING_HINT,
    SLOW_RETRY_HINT,
    WAITING_HINT,
    handle,
    record_call,
    record_error,
    record_registration,
)

from .fakes import (
    FakeCallRecordRepository,
    FakeErrorRecordRepository,
    FakePhoneNumberRepository,
    FakeTrunkRepository,
    a_trunk,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
CONNECTING, REGISTERED, FAILED = (RegistrationState.CONNECTING, RegistrationState.REGISTERED,
                                  RegistrationState.FAILED)


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    repo = FakeTrunkRepository()
    repo.add(a_trunk("trk_1", generation=1, at=T0))
    return repo


@pytest.fixture
def calls() -> FakeCallRecordRepository:
    return FakeCallRecordRepository()


@pytest.fixture
def errors() -> FakeErrorRecordRepository:
    return FakeErrorRecordRepository()


@pytest.fixture
def numbers(trunks) -> FakePhoneNumberRepository:
    return FakePhoneNumberRepository(trunks)


def envelope(payload, *, sequence=1, fence=1, generation=1, at=0):
    return wrap(payload, edge="edge-1", tenant="tenant-a", trunk="trk_1", generation=generation,
                fence=fence, sequence=sequence, time=T0 + timedelta(seconds=at))


def call_ended(call_id="call-1", *, started=0, outcome=CallOutcome.ANSWERED, **fields):
    return CallEnded(
        call_id=call_id, extension="1000", caller=PartyInfo(number="+35312345678", name="Ann"),
        started_at=T0 + timedelta(seconds=started),
        answered_at=T0 + timedelta(seconds=started + 2),
        ended_at=T0 + timedelta(seconds=started + 62), outcome=outcome, **fields,
    )


def registration(state, *, sequence, problem=None, code=None, reason=""):
    return envelope(RegistrationObserved(state=state, problem=problem, sip_code=code,
                                         reason=reason), sequence=sequence, at=sequence)


def everything(errors):
    return errors.recent("trk_1", T0 - timedelta(days=1), 100)


def test_a_finished_call_is_recorded_for_the_trunk_it_arrived_on(calls, numbers):
    message = envelope(call_ended(agent_id="agt_1", transfer_target="215 (Sarah Murphy)",
                                  outcome=CallOutcome.TRANSFERRED, sip_call_id="abc@pbx"))

    assert record_call(message, calls=calls, numbers=numbers) is True

    [(record, line)] = calls.records.values()
    assert (record.tenant_id, record.trunk_id, record.call_id) == ("tenant-a", "trk_1", "call-1")
    assert record.caller.number == "+35312345678" and record.caller.name == "Ann"
    assert record.agent_id == "agt_1" and record.sip_call_id == "abc@pbx"
    assert record.label == "Transferred to 215 (Sarah Murphy)"
    assert record.duration_seconds == 60
    assert line == extension_line("trk_1") == "trk_1#ext"


def test_a_redelivered_call_is_recorded_once(calls, numbers):
    message = envelope(call_ended())

    assert record_call(message, calls=calls, numbers=numbers) is True
    assert record_call(message, calls=calls, numbers=numbers) is False
    assert len(calls.records) == 1


def test_an_observed_error_is_listed_with_its_hint(errors):
    message = envelope(ErrorObserved(source=ErrorSource.TRANSFER, message="Transfer to 215 failed",
                                     hint="Check that 215 exists", call_id="call-1",
                                     at=T0 + timedelta(seconds=30)), sequence=7, fence=2)

    assert record_error(message, errors=errors) is True

    [error] = everything(errors)
    assert error.error_id == "edge-1:1:2:7"
    assert (error.tenant_id, error.trunk_id, error.source) == ("tenant-a", "trk_1", "transfer")
    assert (error.message, error.hint, error.call_id) == (
        "Transfer to 215 failed", "Check that 215 exists", "call-1")
    assert error.at == T0 + timedelta(seconds=30)


def test_a_redelivered_error_is_listed_once(errors):
    message = envelope(ErrorObserved(source=ErrorSource.AGENT, message="Agent never answered",
                                     at=T0))

    assert record_error(message, errors=errors) is True
    assert record_error(message, errors=errors) is False
    assert len(everything(errors)) == 1


def test_calls_and_errors_are_routed_by_their_type(trunks, calls, errors, numbers):
    services = bootstrap(trunks=trunks, calls=calls, errors=errors, numbers=numbers)

    assert handle(envelope(call_ended(), sequence=1), services=services)
    assert handle(envelope(ErrorObserved(source=ErrorSource.MEDIA, message="No audio", at=T0),
                           sequence=2), services=services)

    assert len(calls.records) == 1 and len(everything(errors)) == 1


def test_a_handler_gets_only_the_ports_it_names(calls, numbers):
    only_these = SimpleNamespace(calls=calls, numbers=numbers)  # anything else would raise

    assert handle(envelope(call_ended()), services=only_these)


def test_a_registration_failure_is_listed_in_diagnostics(trunks, errors):
    message = registration(FAILED, sequence=1, problem=Problem.AUTH, code=401,
                           reason="Unauthorized")

    assert record_registration(message, trunks=trunks, errors=errors)

    [error] = everything(errors)
    assert error.source is ErrorSource.REGISTRATION
    assert error.message == trunks.find("trk_1").registration.error
    assert error.message.startswith(AUTH_MESSAGE)
    assert error.hint == WAITING_HINT
    assert error.at == message.time
    assert error.error_id == "edge-1:1:1:1"


def test_no_answer_from_the_pbx_is_listed_with_a_retrying_hint(trunks, errors):
    record_registration(registration(CONNECTING, sequence=1, problem=Problem.NO_RESPONSE),
                        trunks=trunks, errors=errors)

    [error] = everything(errors)
    assert "No answer from the PBX at pbx.example.com:5060 over UDP" in error.message
    assert error.hint == RETRYING_HINT


def test_no_answer_names_the_addresses_and_ports_the_pbx_must_allow(trunks, errors):
    from smartalex.domain.edge_addresses import EdgeAddresses

    pool = EdgeAddresses(("203.0.113.10", "203.0.113.11"))
    record_registration(registration(CONNECTING, sequence=1, problem=Problem.NO_RESPONSE),
                        trunks=trunks, errors=errors, edge_addresses=pool)

    error = trunks.find("trk_1").registration.error
    assert "allows our addresses 203.0.113.10, 203.0.113.11 (SIP, and RTP on UDP ports " \
           "10000–19999)" in error


def test_the_same_failure_reported_again_is_listed_once(trunks, errors):
    for sequence in (1, 2, 3):
        record_registration(registration(FAILED, sequence=sequence, problem=Problem.SERVER,
                                         code=503, reason="Service Unavailable"),
                            trunks=trunks, errors=errors)

    assert len(everything(errors)) == 1


def test_a_redelivered_failure_is_listed_once(trunks, errors):
    message = registration(FAILED, sequence=1, problem=Problem.AUTH, code=401)
    record_registration(message, trunks=trunks, errors=errors)
    record_registration(registration(REGISTERED, sequence=2, code=200), trunks=trunks,
                        errors=errors)

    assert record_registration(message, trunks=trunks, errors=errors) is False
    assert len(everything(errors)) == 1


def test_a_different_failure_is_listed_again(trunks, errors):
    record_registration(registration(FAILED, sequence=1, problem=Problem.SERVER, code=503),
                        trunks=trunks, errors=errors)
    record_registration(registration(FAILED, sequence=2, problem=Problem.AUTH, code=401),
                        trunks=trunks, errors=errors)

    assert [e.message for e in everything(errors)][0].startswith(AUTH_MESSAGE)
    assert len(everything(errors)) == 2


def test_failing_again_after_registering_is_listed_again(trunks, errors):
    for sequence, state, problem in ((1, FAILED, Problem.AUTH), (2, REGISTERED, None),
                                     (3, FAILED, Problem.AUTH)):
        record_registration(registration(state, sequence=sequence, problem=problem),
                            trunks=trunks, errors=errors)

    assert len(everything(errors)) == 2


def test_registering_and_plain_connecting_list_nothing(trunks, errors):
    record_registration(registration(CONNECTING, sequence=1), trunks=trunks, errors=errors)
    record_registration(registration(REGISTERED, sequence=2, code=200), trunks=trunks,
                        errors=errors)

    assert everything(errors) == []


def test_a_stale_failure_lists_nothing(trunks, errors):
    record_registration(envelope(RegistrationObserved(state=REGISTERED, sip_code=200),
                                 sequence=1, fence=5), trunks=trunks, errors=errors)

    late = envelope(RegistrationObserved(state=FAILED, problem=Problem.SERVER, sip_code=503),
                    sequence=99, fence=4)

    assert record_registration(late, trunks=trunks, errors=errors) is False
    assert everything(errors) == []


def test_an_extension_another_device_took_fails_with_what_to_do_and_when_we_retry(trunks,
                                                                                     errors):
    record_registration(registration(FAILED, sequence=1, problem=Problem.CONTACT_TAKEN),
                        trunks=trunks, errors=errors)

    status = trunks.find("trk_1").registration
    assert status.state is FAILED and status.warning is None
    assert status.error.startswith("Another device registered as extension")
    assert "Re-register" in status.error
    [error] = everything(errors)
    assert error.hint == SLOW_RETRY_HINT.format(minutes=10)


def test_other_devices_beside_ours_are_a_warning_on_a_registered_trunk(trunks, errors):
    record_registration(registration(REGISTERED, sequence=1, problem=Problem.SHARED, code=200,
                                     reason="1"), trunks=trunks, errors=errors)

    status = trunks.find("trk_1").registration
    assert (status.state, status.error) == (REGISTERED, None)
    assert "from other devices (1 besides the AI's)" in status.warning
    assert "may ring those too" in status.warning
    [error] = everything(errors)
    assert (error.message, error.hint) == (status.warning, None)

    record_registration(registration(REGISTERED, sequence=2, code=200), trunks=trunks,
                        errors=errors)
    assert trunks.find("trk_1").registration.warning is None
