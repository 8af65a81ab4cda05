"""What one call does and how it ended (edge/call_driver.py), driven by a fake clock."""

import pytest

from edge.call_driver import (
    AUDIO_SAMPLE_EVERY,
    TRANSFER_TIMEOUT,
    Action,
    CallDriver,
    Transfer,
    completed_elsewhere,
)
from edge.sip.invite import Reason, reasons
from smartalex.domain.call import CallOutcome

ELSEWHERE = (Reason("SIP", 200, "Call completed elsewhere"),)


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def driver(clock) -> CallDriver:
    return CallDriver(monotonic=clock)


def run(driver: CallDriver, clock: Clock, seconds: float, step: float = 0.25) -> list[Action]:
    actions = []
    for _ in range(int(seconds / step)):
        clock.advance(step)
        actions += driver.tick()
    return actions


def answered_call(driver, clock) -> CallDriver:
    assert driver.offered(0) == [Action.ANSWER]
    driver.confirmed()
    driver.agent_ready()
    return driver


def test_without_an_answer_delay_the_call_is_answered_at_once(driver):
    assert driver.offered(0) == [Action.ANSWER]


def test_with_an_answer_delay_the_call_rings_until_the_delay_is_over(driver, clock):
    assert driver.offered(4) == []
    assert run(driver, clock, 3.75) == []
    assert run(driver, clock, 0.25) == [Action.ANSWER]
    assert run(driver, clock, 10) == []  # answered once


def test_a_cancel_while_it_rings_means_it_is_never_answered(driver, clock):
    driver.offered(4)
    clock.advance(2)
    driver.cancelled(())
    assert run(driver, clock, 10) == []
    assert driver.disconnected() is CallOutcome.NO_ANSWER


def test_a_cancel_because_another_phone_answered_is_answered_elsewhere(driver, clock):
    driver.offered(4)
    clock.advance(1)
    driver.cancelled(ELSEWHERE)
    assert driver.disconnected() is CallOutcome.ANSWERED_ELSEWHERE
    assert not CallOutcome.ANSWERED_ELSEWHERE.problem


@pytest.mark.parametrize("reason", [
    (),  # a caller who gave up: no Reason at all
    (Reason("SIP", 487, "Request Terminated"),),
    (Reason("SIP", None),),
    (Reason("Q.850", 16, "Normal call clearing"),),
    (Reason("X-PBX", 200),),
])
def test_any_other_cancel_is_no_answer(driver, clock, reason):
    driver.offered(2)
    driver.cancelled(reason)
    assert driver.disconnected() is CallOutcome.NO_ANSWER


def test_the_q850_non_selected_user_clearing_cause_also_means_answered_elsewhere():
    assert completed_elsewhere([Reason("Q.850", 26)])
    assert completed_elsewhere([Reason("Q.850", 16), Reason("SIP", 200)])
    assert not completed_elsewhere([Reason("SIP", 486)])


def test_a_cancels_reason_header_is_read_whatever_its_layout():
    message = ("CANCEL sip:1000@10.0.0.5 SIP/2.0\r\nVia: SIP/2.0/UDP pbx\r\n"
               'Reason: SIP ;cause=200 ;text="Call completed elsewhere"\r\n\r\n')
    assert reasons(message) == ELSEWHERE
    both = "CANCEL x SIP/2.0\r\nReason: Q.850;cause=26, SIP;cause=487;text=\"a, b\"\r\n\r\n"
    assert reasons(both) == (Reason("Q.850", 26), Reason("SIP", 487, "a, b"))
    assert reasons("CANCEL x SIP/2.0\r\nVia: a\r\n\r\n") == ()


def test_the_agent_ending_the_call_is_answered_by_agent(driver, clock):
    answered_call(driver, clock)
    driver.hanging_up()
    assert driver.disconnected() is CallOutcome.ANSWERED


def test_the_caller_hanging_up_after_the_agent_spoke_is_caller_hung_up(driver, clock):
    answered_call(driver, clock)
    clock.advance(20)
    assert driver.disconnected() is CallOutcome.CALLER_HUNG_UP


def test_a_call_the_stopping_edge_cuts_off_is_not_answered_by_agent(driver, clock):
    answered_call(driver, clock)
    driver.cut_off()
    assert driver.hung_up_by_us
    assert driver.disconnected() is CallOutcome.EDGE_STOPPED
    assert CallOutcome.EDGE_STOPPED.label() == "Cut off: our edge was restarting"
    assert CallOutcome.EDGE_STOPPED.problem


def test_cutting_off_keeps_an_outcome_already_decided(driver, clock):
    answered_call(driver, clock)
    driver.transfer_started()
    driver.transfer_status(404, final=True)
    driver.cut_off()
    assert driver.disconnected() is CallOutcome.TRANSFER_FAILED


def test_a_transfer_is_done_only_at_a_final_2xx_notify_and_then_we_hang_up(driver, clock):
    answered_call(driver, clock)
    driver.transfer_started()
    assert driver.transfer_status(202, final=False) is Transfer.ACCEPTED
    assert driver.transfer_status(180, final=False) is Transfer.PROGRESS
    assert driver.transfer_status(200, final=True) is Transfer.COMPLETED
    assert driver.hung_up_by_us
    assert driver.disconnected() is CallOutcome.TRANSFERRED


def test_a_refused_transfer_keeps_the_caller_and_its_outcome_sticks(driver, clock):
    answered_call(driver, clock)
    driver.transfer_started()
    assert driver.transfer_status(404, final=True) is Transfer.FAILED
    driver.hanging_up()  # the agent says goodbye later
    assert driver.disconnected() is CallOutcome.TRANSFER_FAILED


def test_a_transfer_without_a_final_notify_times_out(driver, clock):
    answered_call(driver, clock)
    driver.transfer_started()
    driver.transfer_status(202, final=False)
    actions = run(driver, clock, TRANSFER_TIMEOUT + 0.5)
    assert Action.TRANSFER_TIMED_OUT in actions
    assert driver.outcome is CallOutcome.TRANSFER_FAILED
    assert driver.transfer_status(200, final=True) is Transfer.IGNORED  # too late


def test_notifies_with_no_transfer_of_ours_are_ignored(driver, clock):
    answered_call(driver, clock)
    assert driver.transfer_status(200, final=True) is Transfer.IGNORED
    assert driver.outcome is None


def test_an_agent_that_never_started_is_not_answered_by_agent(driver, clock):
    driver.offered(0)
    driver.confirmed()
    driver.agent_failed()
    driver.hang_up_in(2.0)
    driver.hang_up_in(5.0)  # a later deadline does not postpone the earlier one
    actions = run(driver, clock, 2.5)
    assert actions.count(Action.HANG_UP) == 1
    assert driver.disconnected() is CallOutcome.AGENT_NEVER_STARTED


def test_a_refused_call_keeps_its_refusal(driver):
    driver.refused(CallOutcome.BUSY)
    assert driver.disconnected() is CallOutcome.BUSY


def test_the_audio_counters_are_sampled_every_second_once_answered(driver, clock):
    driver.offered(3)
    assert Action.SAMPLE_AUDIO not in run(driver, clock, 3)  # ringing: nothing to sample
    driver.confirmed()
    samples = run(driver, clock, 10).count(Action.SAMPLE_AUDIO)
    assert samples == 10 / AUDIO_SAMPLE_EVERY


def test_nothing_happens_after_the_call_ended(driver, clock):
    driver.offered(3)
    driver.disconnected()
    assert run(driver, clock, 10) == []
