"""Storing what edges report: idempotent, order-safe, and worded for the admin."""

from datetime import datetime, timedelta, timezone

import pytest

from smartalex.bootstrap import bootstrap
from smartalex.domain.messages import RegistrationObserved, wrap
from smartalex.domain.registration import AUTH_MESSAGE, Problem, RegistrationState
from smartalex.service_layer.edge_events import handle, record_registration

from .fakes import FakeErrorRecordRepository, FakeTrunkRepository, a_trunk

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
CONNECTING, REGISTERED, FAILED = (RegistrationState.CONNECTING, RegistrationState.REGISTERED,
                                  RegistrationState.FAILED)


@pytest.fixture
def trunks() -> FakeTrunkRepository:
    repo = FakeTrunkRepository()
    repo.add(a_trunk("trk_1", generation=1, at=T0))
    return repo


@pytest.fixture
def errors() -> FakeErrorRecordRepository:
    return FakeErrorRecordRepository()


def services(trunks, errors):
    return bootstrap(trunks=trunks, errors=errors)


def observed(state, *, sequence, generation=1, fence=1, at=0, problem=None, code=None,
             reason="", expires_in=None, trunk="trk_1"):
    time = T0 + timedelta(seconds=at)
    payload = RegistrationObserved(
        state=state, problem=problem, sip_code=code, reason=reason, attempt_at=time,
        expires_at=time + timedelta(seconds=expires_in) if expires_in else None,
    )
    return wrap(payload, edge="edge-1", tenant="tenant-a", trunk=trunk, generation=generation,
                fence=fence, sequence=sequence, time=time)


def status(trunks):
    return trunks.find("trk_1").registration


def test_a_newer_message_is_applied(trunks, errors):
    assert record_registration(observed(REGISTERED, sequence=1, at=5, code=200,
                                        expires_in=300), trunks=trunks, errors=errors)
    assert status(trunks).state is REGISTERED
    assert status(trunks).sip_code == 200
    assert status(trunks).expires_at == T0 + timedelta(seconds=305)
    assert status(trunks).error is None


def test_a_redelivered_message_changes_nothing(trunks, errors):
    message = observed(REGISTERED, sequence=1, at=5, code=200, expires_in=300)
    record_registration(message, trunks=trunks, errors=errors)
    before = (status(trunks), dict(trunks.orders))
    assert record_registration(message, trunks=trunks, errors=errors) is False
    assert (status(trunks), dict(trunks.orders)) == before


def test_a_late_connecting_never_overwrites_registered(trunks, errors):
    connecting = observed(CONNECTING, sequence=1, at=1)
    registered = observed(REGISTERED, sequence=2, at=2, code=200, expires_in=300)
    assert record_registration(registered, trunks=trunks, errors=errors)
    assert record_registration(connecting, trunks=trunks, errors=errors) is False
    assert status(trunks).state is REGISTERED


def test_a_message_from_an_earlier_lease_holder_is_stale(trunks, errors):
    record_registration(observed(REGISTERED, sequence=1, fence=5, code=200), trunks=trunks,
                        errors=errors)
    assert record_registration(observed(FAILED, sequence=99, fence=4, problem=Problem.SERVER,
                                        code=503), trunks=trunks, errors=errors) is False
    assert status(trunks).state is REGISTERED


def test_a_message_from_an_older_generation_is_ignored(trunks, errors):
    trunks.add(a_trunk("trk_2", extension="1001", generation=3, at=T0))
    message = observed(REGISTERED, sequence=50, generation=2, fence=9, code=200, trunk="trk_2")
    assert record_registration(message, trunks=trunks, errors=errors) is False
    assert trunks.find("trk_2").registration.state is CONNECTING


def test_a_message_for_a_deleted_trunk_is_ignored(trunks, errors):
    trunks.remove(trunks.find("trk_1"))
    assert record_registration(observed(REGISTERED, sequence=1, code=200), trunks=trunks,
                               errors=errors) is False
    assert trunks.find("trk_1") is None


def test_since_keeps_the_time_the_state_began(trunks, errors):
    record_registration(observed(REGISTERED, sequence=1, at=10, code=200, expires_in=300),
                        trunks=trunks, errors=errors)
    record_registration(observed(REGISTERED, sequence=2, at=280, code=200, expires_in=300),
                        trunks=trunks, errors=errors)
    assert status(trunks).since == T0 + timedelta(seconds=10)
    assert status(trunks).expires_at == T0 + timedelta(seconds=580)


def test_since_moves_when_the_state_changes(trunks, errors):
    record_registration(observed(REGISTERED, sequence=1, at=10, code=200), trunks=trunks,
                        errors=errors)
    record_registration(observed(FAILED, sequence=2, at=400, problem=Problem.SERVER, code=503,
                                 reason="Service Unavailable"), trunks=trunks, errors=errors)
    assert status(trunks).since == T0 + timedelta(seconds=400)


def test_connecting_since_creation_stays_so_when_the_edge_confirms_it(trunks, errors):
    record_registration(observed(CONNECTING, sequence=1, at=3), trunks=trunks, errors=errors)
    assert status(trunks).since == T0
    assert status(trunks).last_attempt_at == T0 + timedelta(seconds=3)


def test_the_error_text_comes_from_explain_in_the_pbx_types_words(trunks, errors):
    record_registration(observed(FAILED, sequence=1, problem=Problem.AUTH, code=401,
                                 reason="Unauthorized"), trunks=trunks, errors=errors)
    # The fake trunk is an Asterisk one: the message says where Asterisk keeps credentials.
    assert status(trunks).error == AUTH_MESSAGE + (
        " Asterisk shows them in pjsip.conf: the endpoint's auth section (username and "
        "password).")
    assert status(trunks).label("1000") == "Failed"


def test_no_response_is_explained_with_the_trunks_own_address(trunks, errors):
    record_registration(observed(CONNECTING, sequence=1, problem=Problem.NO_RESPONSE),
                        trunks=trunks, errors=errors)
    assert "pbx.example.com:5060 over UDP" in status(trunks).error
    assert status(trunks).state is CONNECTING


def test_registering_clears_an_earlier_error(trunks, errors):
    record_registration(observed(FAILED, sequence=1, problem=Problem.AUTH, code=401),
                        trunks=trunks, errors=errors)
    record_registration(observed(REGISTERED, sequence=2, code=200, expires_in=300),
                        trunks=trunks, errors=errors)
    assert status(trunks).error is None
    assert status(trunks).label("1000") == "Registered as ext 1000"


def test_only_a_registered_status_has_an_expiry(trunks, errors):
    message = observed(FAILED, sequence=1, problem=Problem.SERVER, code=503, expires_in=300)
    record_registration(message, trunks=trunks, errors=errors)
    assert status(trunks).expires_at is None


def test_a_message_is_routed_by_its_type(trunks, errors):
    assert handle(observed(REGISTERED, sequence=1, code=200), services=services(trunks, errors))
    assert status(trunks).state is REGISTERED


def test_an_unknown_message_type_is_an_error(trunks, errors):
    message = observed(REGISTERED, sequence=1, code=200).model_copy(update={"type": "call.started"})
    with pytest.raises(ValueError, match="call.started"):
        handle(message, services=services(trunks, errors))
    assert status(trunks).state is CONNECTING
