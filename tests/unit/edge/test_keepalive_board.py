"""One keepalive per PBX address for every trunk a worker registers there (edge/keepalive.py)."""

from __future__ import annotations

from edge.keepalive import LOST_AFTER, Ask, KeepaliveBoard

PBX = ("sip:pbx.example.com;transport=udp", None, "192.0.2.10", 5060)
OTHER_PBX = ("sip:other.example.com;transport=udp", None, "192.0.2.20", 5060)


def board() -> KeepaliveBoard:
    return KeepaliveBoard(fresh_for=10.0)


def test_the_first_trunk_due_sends_and_the_others_wait_for_its_answer():
    keepalives = board()
    assert keepalives.ask(PBX, 1, now=0.0) is Ask.SEND
    assert keepalives.ask(PBX, 2, now=0.5) is Ask.WAIT
    assert keepalives.ask(PBX, 3, now=1.0) is Ask.WAIT
    assert keepalives.answered(1, True, now=1.2) == {1, 2, 3}


def test_each_pbx_address_gets_its_own_request():
    keepalives = board()
    assert keepalives.ask(PBX, 1, now=0.0) is Ask.SEND
    assert keepalives.ask(OTHER_PBX, 2, now=0.0) is Ask.SEND
    assert keepalives.answered(2, True, now=0.1) == {2}
    assert keepalives.answered(1, True, now=0.1) == {1}


def test_an_answer_serves_trunks_due_while_it_is_fresh_and_not_after():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.answered(1, True, now=0.2)
    assert keepalives.ask(PBX, 2, now=10.1) is Ask.ANSWERED
    assert keepalives.ask(PBX, 3, now=10.2) is Ask.SEND  # 10 s old: ask the PBX again


def test_no_answer_is_told_to_the_waiters_and_never_served_to_later_ones():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.ask(PBX, 2, now=1.0)
    assert keepalives.answered(1, False, now=5.0) == {1, 2}  # a transport error
    assert keepalives.ask(PBX, 3, now=5.1) is Ask.SEND


def test_a_request_in_flight_is_waited_on_for_as_long_as_pjsip_retransmits_it():
    """A PBX away: later trunks join the request pjsip keeps retransmitting, the first news
    when the PBX is back; the sender never has two in flight (answers name only the account)."""
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    assert keepalives.ask(PBX, 1, now=20.0) is Ask.WAIT  # its own next keepalive, too
    assert keepalives.ask(PBX, 2, now=25.0) is Ask.WAIT
    assert keepalives.answered(1, True, now=30.0) == {1, 2}  # the PBX is back


def test_a_request_that_timed_out_lets_the_next_trunk_due_ask_again():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.ask(PBX, 2, now=20.0)
    assert keepalives.answered(1, False, now=32.0) == {1, 2}  # timer F
    assert keepalives.ask(PBX, 2, now=40.0) is Ask.SEND
    assert keepalives.ask(PBX, 1, now=40.0) is Ask.WAIT
    assert keepalives.answered(2, True, now=40.1) == {1, 2}


def test_a_request_open_far_past_timer_f_is_taken_as_lost():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    assert keepalives.ask(PBX, 2, now=LOST_AFTER) is Ask.SEND
    assert keepalives.answered(1, True, now=LOST_AFTER + 1) == set()  # nobody waits on it now
    assert keepalives.answered(2, True, now=LOST_AFTER + 1) == {2}


def test_when_the_senders_account_goes_the_others_must_ask_again():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.ask(PBX, 2, now=0.1)
    keepalives.ask(PBX, 3, now=0.2)
    assert keepalives.abandon(1) == {2, 3}
    assert keepalives.answered(1, True, now=0.3) == set()  # its answer has nobody to reach
    assert keepalives.ask(PBX, 2, now=0.4) is Ask.SEND


def test_abandoning_a_trunk_that_sent_nothing_changes_nothing():
    keepalives = board()
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.ask(PBX, 2, now=0.1)
    assert keepalives.abandon(2) == set()
    assert keepalives.answered(1, True, now=0.2) == {1, 2}


def test_stale_answers_are_swept_out_as_addresses_come_and_go():
    keepalives = board()
    for n in range(KeepaliveBoard.KEEP + 10):
        address = ("sip:pbx-%d.example.com" % n, None, "192.0.2.1", 5060 + n)
        keepalives.ask(address, n, now=float(n))
        keepalives.answered(n, True, now=float(n))
    assert len(keepalives._answered_at) <= KeepaliveBoard.KEEP


def test_the_last_answer_is_when_the_address_answered():
    keepalives = board()
    assert keepalives.last_answer(PBX) is None
    keepalives.ask(PBX, 1, now=0.0)
    keepalives.answered(1, True, now=0.3)
    assert keepalives.last_answer(PBX) == 0.3
