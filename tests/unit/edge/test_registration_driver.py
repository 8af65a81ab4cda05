"""When the edge sends REGISTER and what it reports, driven by a fake clock."""

from datetime import datetime, timedelta, timezone

import pytest

from edge.registration import NO_ANSWER_HINT_AFTER, RegistrationDriver
from smartalex.domain.registration import Problem, RegistrationState

CONNECTING, REGISTERED, FAILED = (RegistrationState.CONNECTING, RegistrationState.REGISTERED,
                                  RegistrationState.FAILED)


class FakeTime:
    """One monotonic and one wall clock that move together, only when told to."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.wall_start = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed

    def wall(self) -> datetime:
        return self.wall_start + timedelta(seconds=self.elapsed)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def driver(time) -> RegistrationDriver:
    return RegistrationDriver(monotonic=time.monotonic, wall=time.wall)


def wait_for_retry(driver: RegistrationDriver, time: FakeTime, limit: float = 600) -> float:
    """Tick in 0.25 s steps (exact in binary) until the driver asks to REGISTER; how long."""
    waited = 0.0
    while waited <= limit:
        _, register_now = driver.tick()
        if register_now:
            return waited
        time.advance(0.25)
        waited += 0.25
    raise AssertionError(f"no retry within {limit} s")


def ticks(driver: RegistrationDriver, time: FakeTime, seconds: float, step: float = 0.5):
    """Tick for `seconds`; every report and every retry request seen."""
    reports, retries = [], 0
    for _ in range(int(seconds / step)):
        time.advance(step)
        observed, register_now = driver.tick()
        reports += [observed] if observed else []
        retries += register_now
    return reports, retries


def test_an_attempt_reports_connecting(driver, time):
    observed = driver.begin_attempt()
    assert observed.state is CONNECTING
    assert observed.problem is None
    assert observed.attempt_at == time.wall()


def test_a_200_reports_registered_with_its_expiry(driver, time):
    driver.begin_attempt()
    time.advance(0.3)
    observed = driver.on_response(200, "OK", 300)
    assert observed.state is REGISTERED
    assert observed.sip_code == 200
    assert observed.expires_at == time.wall() + timedelta(seconds=300)
    assert driver.tick() == (None, False)


def test_no_answer_after_4_seconds_is_reported_once_as_no_response(driver, time):
    assert NO_ANSWER_HINT_AFTER == 4.0
    driver.begin_attempt()
    time.advance(3.9)
    assert driver.tick() == (None, False)
    time.advance(0.1)
    observed, register_now = driver.tick()
    assert (observed.state, observed.problem, register_now) == (CONNECTING, Problem.NO_RESPONSE,
                                                                False)
    reports, retries = ticks(driver, time, 60)
    assert (reports, retries) == ([], 0)


def test_a_late_200_after_the_hint_still_registers(driver, time):
    driver.begin_attempt()
    time.advance(5)
    driver.tick()
    assert driver.on_response(200, "OK", 300).state is REGISTERED


def test_a_403_reports_failed_and_retries_after_5_then_10_minutes(driver, time):
    driver.begin_attempt()
    observed = driver.on_response(403, "Forbidden", 0)
    assert (observed.state, observed.problem, observed.sip_code) == (FAILED, Problem.FORBIDDEN,
                                                                     403)
    time.advance(299)
    assert driver.tick() == (None, False)
    time.advance(1)
    assert driver.tick()[1] is True  # retry now
    assert driver.begin_attempt() is None  # the failure stays on show meanwhile
    assert driver.on_response(403, "Forbidden", 0) is None  # nothing new to say
    time.advance(599)
    assert driver.tick()[1] is False
    time.advance(1)
    assert driver.tick()[1] is True


@pytest.mark.parametrize("code", [401, 407])
def test_an_auth_failure_reports_failed_and_never_retries(driver, time, code):
    driver.begin_attempt()
    observed = driver.on_response(code, "Unauthorized", 0)
    assert (observed.state, observed.problem, observed.sip_code) == (FAILED, Problem.AUTH, code)
    reports, retries = ticks(driver, time, 3600, step=1)
    assert (reports, retries) == ([], 0)


@pytest.mark.parametrize("code, reason, state", [
    (503, "Service Unavailable", FAILED),
    (408, "Request Timeout", CONNECTING),
])
def test_a_transient_failure_retries_after_a_growing_capped_backoff(driver, time, code, reason,
                                                                    state):
    waits = []
    for _ in range(9):
        driver.begin_attempt()
        driver.on_response(code, reason, 0)
        waits.append(wait_for_retry(driver, time))
    assert waits == [2, 4, 8, 16, 32, 64, 120, 120, 120]
    assert driver.last.state is state


def test_a_retry_is_requested_once(driver, time):
    driver.begin_attempt()
    driver.on_response(503, "Service Unavailable", 0)
    time.advance(2)
    assert driver.tick() == (None, True)
    assert driver.tick() == (None, False)


def test_a_success_resets_the_backoff(driver, time):
    for _ in range(3):
        driver.begin_attempt()
        driver.on_response(503, "Service Unavailable", 0)
        wait_for_retry(driver, time)
    driver.begin_attempt()
    driver.on_response(200, "OK", 60)
    driver.begin_attempt()
    driver.on_response(503, "Service Unavailable", 0)
    assert wait_for_retry(driver, time) == 2


def test_repeated_identical_failures_are_reported_once(driver, time):
    reports = [driver.begin_attempt(), driver.on_response(503, "Service Unavailable", 0)]
    for _ in range(5):
        wait_for_retry(driver, time)
        reports += [driver.begin_attempt(), driver.on_response(503, "Service Unavailable", 0)]
    sent = [(r.state, r.problem) for r in reports if r is not None]
    assert sent == [(CONNECTING, None), (FAILED, Problem.SERVER)]


def test_a_different_failure_is_reported(driver, time):
    driver.begin_attempt()
    driver.on_response(503, "Service Unavailable", 0)
    wait_for_retry(driver, time)
    driver.begin_attempt()
    observed = driver.on_response(404, "Not Found", 0)
    assert (observed.state, observed.problem) == (FAILED, Problem.NOT_FOUND)


def test_a_refresh_does_not_report_connecting(driver, time):
    driver.begin_attempt()
    driver.on_response(200, "OK", 300)
    time.advance(240)
    assert driver.begin_attempt() is None
    time.advance(0.2)
    refreshed = driver.on_response(200, "OK", 300)
    assert refreshed.state is REGISTERED
    assert refreshed.expires_at == time.wall() + timedelta(seconds=300)


def test_a_failed_refresh_is_reported(driver, time):
    driver.begin_attempt()
    driver.on_response(200, "OK", 300)
    time.advance(240)
    driver.begin_attempt()
    observed = driver.on_response(401, "Unauthorized", 0)
    assert (observed.state, observed.problem) == (FAILED, Problem.AUTH)


# --- keeping watch once registered: keepalive and bindings check ---

from edge.registration import (  # noqa: E402
    BINDINGS_EVERY,
    CHECK_BEFORE_REFRESH,
    KEEPALIVE_EVERY,
    KEEPALIVE_TIMEOUT,
    REFRESH_BEFORE_EXPIRY,
    Bindings,
    Next,
    classify_bindings,
)
from edge.sip.invite import Binding  # noqa: E402

ALONE, TAKEN, FORGOTTEN, SHARED = (Bindings(True, 0), Bindings(False, 1), Bindings(False, 0),
                                   Bindings(True, 2))


def registered(driver, time, expires=300, bindings=ALONE):
    driver.begin_attempt()
    return driver.on_response(200, "OK", expires, bindings)


def until(driver, time, due, limit=600.0, step=0.25) -> float:
    """Advance until `due()` says go; how long that took."""
    waited = 0.0
    while not due():
        time.advance(step)
        waited += step
        assert waited <= limit, "never due"
    return waited


def test_a_keepalive_goes_to_the_registrar_every_20_seconds_while_registered(driver, time):
    assert 15 <= KEEPALIVE_EVERY <= 30
    assert not driver.keepalive_due()  # not registered yet
    registered(driver, time)
    assert until(driver, time, driver.keepalive_due) == KEEPALIVE_EVERY
    assert driver.on_keepalive(answered=True) == (None, Next.NOTHING)
    assert until(driver, time, driver.keepalive_due) == KEEPALIVE_EVERY


def test_a_keepalive_without_an_answer_reads_connecting_and_a_later_answer_registers_again(
        driver, time):
    registered(driver, time)
    until(driver, time, driver.keepalive_due)
    time.advance(KEEPALIVE_TIMEOUT)
    observed, register_now = driver.tick()
    assert (observed.state, observed.problem, register_now) == (CONNECTING, Problem.NO_RESPONSE,
                                                                False)
    assert not driver.bindings_check_due()
    until(driver, time, driver.keepalive_due)  # it keeps asking while the PBX is away
    assert driver.on_keepalive(answered=False) == (None, Next.NOTHING)  # still away
    until(driver, time, driver.keepalive_due)
    assert driver.on_keepalive(answered=True) == (None, Next.REGISTER)


def test_a_keepalive_lost_with_another_trunks_account_is_asked_again_not_timed_out(
        driver, time):
    """edge/keepalive.py: it waited for another trunk's OPTIONS, whose account went."""
    registered(driver, time)
    until(driver, time, driver.keepalive_due)
    time.advance(1)
    driver.keepalive_lost()
    assert driver.keepalive_due()  # at once
    time.advance(KEEPALIVE_TIMEOUT - 0.5)
    assert driver.tick() == (None, False)  # the first question's clock is not running
    assert driver.on_keepalive(answered=True) == (None, Next.NOTHING)


def test_a_keepalive_answered_for_another_trunk_keeps_time_with_that_answer(driver, time):
    """edge/keepalive.py: the trunks at one address come due together, one request for all."""
    registered(driver, time)
    until(driver, time, driver.keepalive_due)
    answered_at = time.monotonic() - 3.0
    assert driver.on_keepalive(answered=True, at=answered_at) == (None, Next.NOTHING)
    assert until(driver, time, driver.keepalive_due) == KEEPALIVE_EVERY - 3.0


def test_a_keepalive_lost_when_none_was_waited_for_changes_nothing(driver, time):
    registered(driver, time)
    driver.keepalive_lost()
    assert not driver.keepalive_due()
    assert until(driver, time, driver.keepalive_due) == KEEPALIVE_EVERY


def test_a_bindings_check_runs_every_25_seconds_and_before_each_refresh(driver, time):
    assert BINDINGS_EVERY <= 25  # with the refresh's check: a taken extension found in 30 s
    registered(driver, time, expires=80)  # refreshed at 20 s: checked at 15 s first
    assert until(driver, time, driver.bindings_check_due) == 80 - REFRESH_BEFORE_EXPIRY \
        - CHECK_BEFORE_REFRESH
    assert driver.on_bindings(ALONE) == (None, Next.NOTHING)
    registered(driver, time, expires=3600)
    assert until(driver, time, driver.bindings_check_due) == BINDINGS_EVERY


def test_another_device_taking_the_extension_fails_the_trunk_and_we_stand_down(driver, time):
    registered(driver, time)
    until(driver, time, driver.bindings_check_due)
    observed, then = driver.on_bindings(TAKEN)
    assert (observed.state, observed.problem, then) == (FAILED, Problem.CONTACT_TAKEN,
                                                        Next.STAND_DOWN)
    assert driver.on_response(200, "OK", 0) is None  # the un-REGISTER's answer says nothing
    assert not driver.keepalive_due() and not driver.bindings_check_due()
    assert wait_for_retry(driver, time, limit=3600) == 600  # then 20 min, doubling to 1 h
    registered(driver, time)
    until(driver, time, driver.bindings_check_due)
    driver.on_bindings(TAKEN)
    assert wait_for_retry(driver, time, limit=3600) == 1200


def test_a_registrar_listing_another_contact_but_not_ours_in_its_200_is_taken_too(driver, time):
    observed = registered(driver, time, bindings=TAKEN)
    assert (observed.state, observed.problem) == (FAILED, Problem.CONTACT_TAKEN)
    assert driver.standing_down


def test_a_pbx_that_forgot_us_is_registered_with_again_at_once(driver, time):
    registered(driver, time)
    until(driver, time, driver.bindings_check_due)
    assert driver.on_bindings(FORGOTTEN) == (None, Next.REGISTER)


def test_other_devices_beside_ours_are_a_warning_that_clears(driver, time):
    observed = registered(driver, time, bindings=SHARED)
    assert (observed.state, observed.problem, observed.reason) == (REGISTERED, Problem.SHARED,
                                                                   "2")
    until(driver, time, driver.bindings_check_due)
    assert driver.on_bindings(SHARED) == (None, Next.NOTHING)  # said once
    until(driver, time, driver.bindings_check_due)
    observed, _ = driver.on_bindings(ALONE)
    assert (observed.state, observed.problem) == (REGISTERED, None)


def test_a_registrar_that_lists_no_contacts_is_not_checked(driver, time):
    registered(driver, time, bindings=Bindings(False, 0, listed=False))
    time.advance(3 * BINDINGS_EVERY)
    assert not driver.bindings_check_due()


def test_our_contact_is_known_by_its_token_or_else_by_our_address():
    ours = Binding("sip:1000@10.0.0.5:5080;sa-trunk=abc123", 300)
    desk = Binding("sip:1000@192.168.1.20:5060", 120)
    leaving = Binding("sip:1000@192.168.1.21:5060", 0)
    assert classify_bindings((ours, desk, leaving), "abc123") == Bindings(True, 1)
    assert classify_bindings((desk,), "abc123") == Bindings(False, 1)
    stripped = Binding("sip:1000@10.0.0.5:5080", 300)  # a registrar that drops URI parameters
    assert classify_bindings((stripped, desk), "abc123",
                             frozenset({"10.0.0.5:5080"})) == Bindings(True, 1)
    assert classify_bindings(None, "abc123") == Bindings(False, 0, listed=False)


# --- several next hops (SRV targets): RFC 3263 4.3 failover ---

from edge.registration import FAIL_OVER_AFTER  # noqa: E402


def test_a_silent_hop_is_left_for_the_next_after_4_seconds_not_after_timer_f(driver, time):
    driver.resolved(3)
    driver.begin_attempt()
    time.advance(FAIL_OVER_AFTER - 0.5)
    assert driver.tick() == (None, False)
    time.advance(0.5)
    assert driver.tick() == (None, True) and driver.hop == 1  # no "no answer" hint yet
    driver.begin_attempt()
    assert driver.on_response(200, "OK", 300).state is REGISTERED
    assert driver.hop == 1


def test_the_no_answer_hint_comes_once_the_last_hop_is_silent_too(driver, time):
    driver.resolved(2)
    driver.begin_attempt()
    time.advance(FAIL_OVER_AFTER)
    assert driver.tick() == (None, True)
    driver.begin_attempt()
    time.advance(NO_ANSWER_HINT_AFTER)
    observed, register_now = driver.tick()
    assert (observed.problem, register_now, driver.hop) == (Problem.NO_RESPONSE, False, 1)


@pytest.mark.parametrize("code, reason", [(408, "Request Timeout"),
                                          (503, "Connection refused"),
                                          (503, "Service Unavailable")])
def test_a_timeout_a_refused_connection_or_a_503_moves_on_at_once_without_a_report(
        driver, time, code, reason):
    driver.resolved(2)
    driver.begin_attempt()
    time.advance(0.2)
    assert driver.on_response(code, reason, 0) is None
    assert driver.tick() == (None, True) and driver.hop == 1


@pytest.mark.parametrize("code, reason, problem", [(401, "Unauthorized", Problem.AUTH),
                                                   (404, "Not Found", Problem.NOT_FOUND),
                                                   (403, "Forbidden", Problem.FORBIDDEN)])
def test_an_answer_that_is_about_the_extension_is_not_a_reason_to_move_on(
        driver, time, code, reason, problem):
    driver.resolved(2)
    driver.begin_attempt()
    assert driver.on_response(code, reason, 0).problem is problem
    assert driver.hop == 0


def test_after_the_last_hop_fails_the_retry_starts_again_from_the_best(driver, time):
    driver.resolved(2)
    driver.begin_attempt()
    assert driver.on_response(503, "Service Unavailable", 0) is None
    assert driver.tick() == (None, True)
    driver.begin_attempt()
    observed = driver.on_response(503, "Service Unavailable", 0)
    assert (observed.state, observed.problem) == (FAILED, Problem.SERVER)
    assert wait_for_retry(driver, time) == 2.0  # the usual back-off
    assert driver.hop == 0


def test_one_hop_behaves_as_before(driver, time):
    driver.resolved(1)
    driver.begin_attempt()
    time.advance(NO_ANSWER_HINT_AFTER)
    observed, register_now = driver.tick()
    assert (observed.problem, register_now, driver.hop) == (Problem.NO_RESPONSE, False, 0)
