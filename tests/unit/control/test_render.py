"""The trunk representation: UTC timestamps with Z, the dashboard label, lease → assignment,
and no password field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.render import TrunkView, iso_utc

from smartalex.domain.assignment import Lease
from smartalex.domain.registration import RegistrationState, RegistrationStatus
from smartalex.domain.trunk import PbxType, SipAccount, Transport, Trunk

T0 = datetime(2025, 1, 31, 9, 30, tzinfo=timezone.utc)


def trunk(**changes) -> Trunk:
    base = dict(trunk_id="trk_1", tenant_id="acme", pbx_type=PbxType.ASTERISK,
                account=SipAccount("pbx.example.com", "1000", "1000", Transport.UDP, 5060),
                label=None, created_at=T0, updated_at=T0)
    return Trunk(**{**base, **changes})


def test_timestamps_are_utc_with_z():
    paris = timezone(timedelta(hours=1))

    assert iso_utc(T0) == "2025-01-31T09:30:00.000Z"
    assert iso_utc(datetime(2025, 1, 31, 10, 30, tzinfo=paris)) == "2025-01-31T09:30:00.000Z"
    assert iso_utc(datetime(2025, 1, 31, 9, 30)) == "2025-01-31T09:30:00.000Z"


def test_a_registered_trunk_is_labelled_with_its_extension():
    status = RegistrationStatus(state=RegistrationState.REGISTERED, sip_code=200, since=T0,
                                expires_at=T0 + timedelta(minutes=5))

    held = Lease("edge-a", 1, expires_at=T0.timestamp() + 15)

    view = TrunkView.of(trunk(registration=status, lease=held),
                        now=T0.timestamp() + 1).model_dump(mode="json")

    assert view["registration"] == {
        "state": "registered", "label": "Registered as ext 1000", "error": None,
        "warning": None, "sip_code": 200, "since": "2025-01-31T09:30:00.000Z",
        "last_attempt_at": None,
        "expires_at": "2025-01-31T09:35:00.000Z",
    }


def test_a_failed_trunk_is_labelled_failed_and_carries_the_error():
    status = RegistrationStatus(state=RegistrationState.FAILED, error="Wrong password",
                                sip_code=401)

    view = TrunkView.of(trunk(registration=status)).model_dump(mode="json")

    registration = view["registration"]
    assert (registration["label"], registration["error"]) == ("Failed", "Wrong password")


def test_an_unexpired_lease_shows_the_edge_holding_the_trunk():
    view = TrunkView.of(trunk(lease=Lease("edge-a", 3, expires_at=1000.0)), now=990.0)

    assert view.assignment.model_dump() == {"held": True, "edge": "edge-a"}


def test_an_expired_lease_shows_the_trunk_unassigned():
    view = TrunkView.of(trunk(lease=Lease("edge-a", 3, expires_at=1000.0)), now=1000.0)

    assert view.assignment.model_dump() == {"held": False, "edge": None}


def test_the_representation_has_no_password_field_at_all():
    schema = TrunkView.model_json_schema(mode="serialization")

    assert "password" not in str(schema).lower()
    assert "password" not in TrunkView.of(trunk()).model_dump()


def test_a_registered_trunk_no_edge_holds_reads_connecting_waiting_for_one():
    status = RegistrationStatus(state=RegistrationState.REGISTERED, sip_code=200, since=T0,
                                expires_at=T0 + timedelta(minutes=5))

    view = TrunkView.of(trunk(registration=status), now=T0.timestamp() + 1)

    assert (view.registration.state, view.registration.label) == ("connecting", "Connecting")
    assert view.registration.error.startswith("Waiting for an edge to take this extension")
    assert view.assignment.held is False
