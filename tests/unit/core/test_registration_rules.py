"""How a REGISTER outcome becomes a state, a retry policy and a message for the admin."""

import pytest

from smartalex.domain.registration import (
    AUTH_MESSAGE,
    Problem,
    RegistrationState,
    RegistrationStatus,
    Target,
    classify,
    explain,
    retry_delay,
    state_for,
)

TARGET = Target(domain="pbx.example.com", port=5062, transport="tcp", extension="1042")


# --- classify ---

@pytest.mark.parametrize("code", [200, 202])
def test_a_2xx_is_success(code):
    assert classify(code, "OK") is None


@pytest.mark.parametrize("code", [401, 407])
def test_a_challenge_is_an_authentication_problem(code):
    assert classify(code, "Unauthorized") is Problem.AUTH


def test_403_is_forbidden_not_a_wrong_password():
    assert classify(403, "Forbidden") is Problem.FORBIDDEN


def test_an_auth_code_wins_over_any_reason_text():
    assert classify(401, "TLS handshake refused") is Problem.AUTH
    assert classify(403, "TLS handshake refused") is Problem.FORBIDDEN


def test_404_means_the_extension_does_not_exist():
    assert classify(404, "Not Found") is Problem.NOT_FOUND


@pytest.mark.parametrize("code, reason", [
    (None, ""),
    (408, "Request Timeout"),
    (408, "Could not resolve host"),  # a timeout is a timeout, whatever pjsua adds
])
def test_no_answer_yet_or_a_timeout_is_no_response(code, reason):
    assert classify(code, reason) is Problem.NO_RESPONSE


@pytest.mark.parametrize("code, reason", [
    (503, "Unable to resolve pbx.example.com"),
    (502, "gethostbyname() has returned error (PJ_ERESOLVE)"),
    (503, "DNS lookup failed"),
    (503, "Host not found"),
    (503, "NXDOMAIN"),
])
def test_a_resolution_failure_is_a_dns_problem(code, reason):
    assert classify(code, reason) is Problem.DNS


@pytest.mark.parametrize("reason", [
    "SSL_ERROR_SSL",
    "TLS connect() error: wrong version number",
    "Handshake failed",
])
def test_a_tls_failure_is_a_tls_problem(reason):
    assert classify(503, reason) is Problem.TLS


@pytest.mark.parametrize("reason", [
    # What pjsua2 2.15 reports for a self-signed PBX with verification on (measured).
    "SSL certificate verification error (PJSIP_TLS_ECERTVERIF)",
    "TLS connect() error: certificate verify failed",
])
def test_an_untrusted_certificate_is_its_own_problem(reason):
    assert classify(503, reason) is Problem.TLS_UNTRUSTED


def test_an_untrusted_certificate_says_both_ways_out():
    text = explain(Problem.TLS_UNTRUSTED, 503, "SSL certificate verification error", TARGET)
    assert "pbx.example.com:5062" in text and "certificate from a public" in text
    assert "set tls_verify to false" in text


@pytest.mark.parametrize("reason", ["Connection refused", "Network is unreachable"])
def test_a_refused_connection_is_a_refused_problem(reason):
    assert classify(503, reason) is Problem.REFUSED
    assert classify(480, reason) is Problem.REFUSED


@pytest.mark.parametrize("code, reason", [
    (500, "Server Internal Error"),
    (503, "Service Unavailable"),
    (504, ""),
])
def test_a_plain_5xx_is_a_server_problem(code, reason):
    assert classify(code, reason) is Problem.SERVER


@pytest.mark.parametrize("code", [400, 405, 480, 486, 488, 603])
def test_any_other_answer_is_a_rejection(code):
    assert classify(code, "Something") is Problem.REJECTED


def test_a_missing_reason_is_treated_as_empty():
    assert classify(500, None) is Problem.SERVER


# --- state_for ---

def test_success_is_registered():
    assert state_for(None) is RegistrationState.REGISTERED


def test_no_response_stays_connecting():
    assert state_for(Problem.NO_RESPONSE) is RegistrationState.CONNECTING


@pytest.mark.parametrize("problem", [p for p in Problem
                                     if p not in (Problem.NO_RESPONSE, Problem.SHARED,
                                                  Problem.NO_EDGE, Problem.NO_CAPACITY)])
def test_every_definite_problem_is_failed(problem):
    assert state_for(problem) is RegistrationState.FAILED


def test_other_devices_beside_ours_is_a_warning_while_registered():
    assert state_for(Problem.SHARED) is RegistrationState.REGISTERED


def test_an_extension_another_device_took_is_retried_after_10_minutes_doubling_to_an_hour():
    assert [retry_delay(Problem.CONTACT_TAKEN, n) for n in range(1, 6)] == \
        [600, 1200, 2400, 3600, 3600]


# --- retry_delay ---

def test_a_wrong_password_waits_for_the_admin():
    assert all(retry_delay(Problem.AUTH, n) is None for n in range(0, 20))


@pytest.mark.parametrize("problem", [Problem.NO_RESPONSE, Problem.SERVER, Problem.DNS,
                                     Problem.REFUSED, Problem.TLS, Problem.TLS_UNTRUSTED,
                                     Problem.REJECTED, Problem.NOT_FOUND,
                                     Problem.NO_CREDENTIALS])
def test_other_problems_back_off_from_2_seconds_to_a_cap_of_2_minutes(problem):
    delays = [retry_delay(problem, n) for n in range(1, 30)]
    assert delays[:7] == [2, 4, 8, 16, 32, 64, 120]
    assert delays == sorted(delays)
    assert max(delays) == 120
    assert retry_delay(problem, 10_000) == 120


def test_a_first_failure_never_retries_at_once():
    assert retry_delay(Problem.SERVER, 0) == 2


# --- explain ---

def test_the_auth_message_is_exactly_what_the_admin_guide_says():
    assert explain(Problem.AUTH, 401, "Unauthorized", TARGET) == (
        "Authentication required — wrong username or password. "
        "Re-enter the credentials and click Re-register."
    )
    assert AUTH_MESSAGE == explain(Problem.AUTH, 407, "Proxy Authentication Required", TARGET)


def test_a_403_names_the_likely_causes_and_says_it_is_retried():
    message = explain(Problem.FORBIDDEN, 403, "Forbidden", TARGET)
    assert message.startswith(f"The PBX at {TARGET.domain} refused extension "
                              f"{TARGET.extension} with 403 Forbidden. This is rarely the password")
    for cause in ("blocks the address we register from", "outside its own network",
                  "the extension is disabled", "wrong password", "We try again in 5 minutes",
                  "click Re-register"):
        assert cause in message


@pytest.mark.parametrize("failures, delay", [(1, 300), (2, 600), (3, 1200), (4, 1800),
                                             (10, 1800)])
def test_a_403_is_retried_slowly_doubling_to_half_an_hour(failures, delay):
    assert retry_delay(Problem.FORBIDDEN, failures) == delay


def test_nothing_to_explain_on_success():
    assert explain(None, 200, "OK", TARGET) is None


def test_not_found_names_the_extension_and_the_domain():
    text = explain(Problem.NOT_FOUND, 404, "Not Found", TARGET)
    assert "1042" in text and "pbx.example.com" in text and "404" in text


def test_dns_names_the_domain():
    assert "pbx.example.com" in explain(Problem.DNS, 503, "Unable to resolve", TARGET)


def test_no_response_names_where_it_knocked_and_the_extension():
    text = explain(Problem.NO_RESPONSE, None, "", TARGET)
    assert "pbx.example.com:5062 over TCP" in text
    assert "1042" in text


def test_tls_names_the_domain_port_and_what_pjsua_said():
    text = explain(Problem.TLS, 503, "wrong version number", TARGET)
    assert "pbx.example.com:5062" in text and "wrong version number" in text


def test_refused_names_where_and_the_answer():
    text = explain(Problem.REFUSED, 503, "Connection refused", TARGET)
    assert "pbx.example.com:5062 over TCP" in text and "503 Connection refused" in text


@pytest.mark.parametrize("problem", [Problem.SERVER, Problem.REJECTED])
def test_a_server_error_or_rejection_quotes_the_answer(problem):
    assert "486 Busy Here" in explain(problem, 486, "Busy Here", TARGET)


def test_every_problem_has_a_message():
    assert all(explain(p, 500, "x", TARGET) for p in Problem)


# --- status label ---

def test_the_label_of_each_state():
    assert RegistrationStatus().label("1000") == "Connecting"
    assert RegistrationStatus(state=RegistrationState.REGISTERED).label("1000") == \
        "Registered as ext 1000"
    assert RegistrationStatus(state=RegistrationState.FAILED).label("1000") == "Failed"


def test_a_new_status_is_connecting():
    assert RegistrationStatus().state is RegistrationState.CONNECTING


# --- what the edge itself refused ---

def test_an_unanswered_challenge_is_not_a_wrong_password():
    from smartalex.domain.registration import CHALLENGE_REFUSED

    problem = classify(401, f"{CHALLENGE_REFUSED}: a challenge for realm 'x', not 'pbx'")
    assert problem is Problem.CHALLENGE and state_for(problem) is RegistrationState.FAILED
    assert retry_delay(problem, 1) == 2  # backs off like any failure, unlike AUTH
    message = explain(problem, 401, "", TARGET)
    assert "did not answer" in message and "Re-register" in message


def test_an_extension_registered_by_another_trunk_is_retried_every_30_seconds():
    from smartalex.domain.registration import EXTENSION_TAKEN

    problem = classify(409, EXTENSION_TAKEN)
    assert problem is Problem.EXTENSION_TAKEN and state_for(problem) is RegistrationState.FAILED
    assert {retry_delay(problem, n) for n in range(1, 10)} == {30.0}
    message = explain(problem, 409, EXTENSION_TAKEN, TARGET)
    assert message.startswith("Another account already registers extension 1042 on this PBX")


# --- as_shown: what the trunk reads, given its lease and the registration's expiry ---

from datetime import datetime, timedelta, timezone  # noqa: E402

from smartalex.domain.assignment import FleetRoom  # noqa: E402
from smartalex.domain.registration import (  # noqa: E402
    FLEET_FULL,
    NO_CAPACITY,
    WAITING_FOR_EDGE,
    as_shown,
)

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
LEASED = NOW.timestamp() + 10  # an edge holds the trunk for 10 more seconds
REGISTERED_NOW = RegistrationStatus(state=RegistrationState.REGISTERED, sip_code=200,
                                    since=NOW - timedelta(hours=2),
                                    expires_at=NOW + timedelta(minutes=4))


def test_registered_reads_registered_while_an_edge_holds_it_and_it_has_not_run_out():
    assert as_shown(REGISTERED_NOW, LEASED, NOW) == REGISTERED_NOW


@pytest.mark.parametrize("lease", [None, 0.0, NOW.timestamp(), NOW.timestamp() - 5])
def test_without_an_unexpired_lease_registered_reads_connecting_waiting_for_an_edge(lease):
    shown = as_shown(REGISTERED_NOW, lease, NOW)
    assert (shown.state, shown.error, shown.expires_at) == (RegistrationState.CONNECTING,
                                                            WAITING_FOR_EDGE, None)


def test_a_lease_that_ran_out_minutes_ago_says_the_edges_may_be_full():
    shown = as_shown(REGISTERED_NOW, NOW.timestamp() - 300, NOW)
    assert shown.error.startswith("No edge has taken this extension for 5 min")


def test_a_new_trunk_nobody_took_for_minutes_says_so_too():
    new = RegistrationStatus(since=NOW - timedelta(minutes=3))
    assert as_shown(new, None, NOW).error.startswith("No edge has taken this extension for 3 min")
    assert as_shown(RegistrationStatus(since=NOW - timedelta(seconds=5)), None,
                    NOW).error == WAITING_FOR_EDGE


def test_no_capacity_reported_by_the_edge_that_let_go_is_kept():
    handed_back = RegistrationStatus(error=NO_CAPACITY, since=NOW - timedelta(seconds=10))
    assert as_shown(handed_back, None, NOW).error == NO_CAPACITY


def test_every_live_edge_full_reads_no_capacity_left():
    waiting = RegistrationStatus(since=NOW - timedelta(seconds=5))
    shown = as_shown(waiting, None, NOW, FleetRoom(edges=3, with_room=0))
    assert (shown.state, shown.error) == (RegistrationState.CONNECTING, FLEET_FULL)
    assert shown.error.startswith("No capacity left: every edge is full")
    # ...however long it has waited: the wait is the fleet's size, not a hand-over
    long_ago = RegistrationStatus(since=NOW - timedelta(minutes=10))
    assert as_shown(long_ago, None, NOW, FleetRoom(edges=3, with_room=0)).error == FLEET_FULL


def test_an_edge_with_room_or_no_edge_at_all_is_not_no_capacity():
    waiting = RegistrationStatus(since=NOW - timedelta(seconds=5))
    assert as_shown(waiting, None, NOW, FleetRoom(edges=3, with_room=1)).error == \
        WAITING_FOR_EDGE
    assert as_shown(waiting, None, NOW, FleetRoom(edges=0, with_room=0)).error == \
        WAITING_FOR_EDGE


def test_a_held_or_failed_trunk_ignores_the_fleet():
    full = FleetRoom(edges=2, with_room=0)
    assert as_shown(REGISTERED_NOW, LEASED, NOW, full) == REGISTERED_NOW
    failed = RegistrationStatus(state=RegistrationState.FAILED, error="Wrong password")
    assert as_shown(failed, None, NOW, full) == failed


def test_the_fleet_room_counts_edges_that_have_not_written_it_as_having_room():
    assert FleetRoom.of([0, 0]) == FleetRoom(edges=2, with_room=0)
    assert FleetRoom.of([0, None, 7]) == FleetRoom(edges=3, with_room=2)
    assert not FleetRoom.of([]).full and FleetRoom.of([0]).full


def test_a_registration_that_ran_out_reads_connecting_even_while_held():
    stale = RegistrationStatus(state=RegistrationState.REGISTERED, sip_code=200,
                               expires_at=NOW - timedelta(seconds=1))
    shown = as_shown(stale, LEASED, NOW)
    assert shown.state is RegistrationState.CONNECTING
    assert shown.error.startswith("The registration ran out at 08:59:59 UTC")


def test_a_failure_stays_failed_with_or_without_an_edge():
    failed = RegistrationStatus(state=RegistrationState.FAILED, error="Wrong password",
                                sip_code=401)
    assert as_shown(failed, None, NOW) == failed == as_shown(failed, LEASED, NOW)


def test_a_warning_is_not_shown_without_an_edge():
    shared = RegistrationStatus(state=RegistrationState.REGISTERED, warning="also elsewhere",
                                expires_at=NOW + timedelta(minutes=4))
    assert as_shown(shared, LEASED, NOW).warning == "also elsewhere"
    assert as_shown(shared, None, NOW).warning is None
