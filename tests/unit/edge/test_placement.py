"""The supervisor's placement state machine (edge/placement.py): which worker holds which trunk,
what each worker is sent and when, and retries, with the clock given as a number."""

from __future__ import annotations

import itertools

import pytest

from edge.placement import Placement
from edge.protocol import AgentLink, CallRouting, Hold, Release, Route, Shutdown
from smartalex.domain.trunk import SipAccount, Transport

RECEPTIONIST = CallRouting(AgentLink("agt_1", "receptionist", "ws://127.0.0.1:1/"))


def hold(trunk_id: str = "trk_1", generation: int = 1,
         routing: CallRouting = CallRouting()) -> Hold:
    account = SipAccount("pbx.example.com", "1000", "1000", Transport.UDP, 5060)
    return Hold(trunk_id, "acme", generation, account, "secret", routing)


def ready(p: Placement, *workers: int) -> list:
    sends = []
    for w in workers or range(p.workers):
        sends += p.worker_ready(w)
    return sends


# --- by capacity ---

def test_trunks_spread_evenly_over_the_workers():
    p = Placement(workers=3, trunks_per_worker=4)
    for i in range(6):
        p.hold(hold(f"trk_{i}"))
    assert [p.worker_of(f"trk_{i}") for i in range(6)] == [0, 1, 2, 0, 1, 2]
    assert [p.load(i) for i in range(3)] == [2, 2, 2]


def test_a_full_edge_places_nothing_more():
    p = Placement(workers=2, trunks_per_worker=2)
    for i in range(4):
        assert p.hold(hold(f"trk_{i}")) is not None
    assert p.room() == 0 and p.hold(hold("trk_extra")) is None
    assert p.worker_of("trk_extra") is None and p.held() == 4


def test_a_new_generation_stays_on_its_worker_even_when_it_is_the_fullest():
    p = Placement(workers=2, trunks_per_worker=2)
    for name in ("trk_a", "trk_b", "trk_c", "trk_d"):
        p.hold(hold(name))
    ready(p)
    assert p.hold(hold("trk_c", generation=2)) == [(0, hold("trk_c", generation=2))]
    assert p.load(0) == 2


def test_room_freed_by_a_release_is_used_first():
    p = Placement(workers=2, trunks_per_worker=3)
    ready(p)
    for i in range(4):
        p.hold(hold(f"trk_{i}"))
    assert p.release("trk_1") == ([(1, Release("trk_1"))], False)
    assert p.worker_of("trk_1") == 1  # until the worker answers
    assert p.released(1, "trk_1") and p.worker_of("trk_1") is None
    p.hold(hold("trk_new"))
    assert sorted(p.trunks_on(1)) == ["trk_3", "trk_new"]


@pytest.mark.parametrize("workers,per_worker", [(0, 1), (1, 0)])
def test_an_edge_without_capacity_is_a_configuration_error(workers, per_worker):
    with pytest.raises(ValueError):
        Placement(workers, per_worker)


# --- what a worker is sent, and when ---

def test_a_ready_worker_gets_every_message_as_it_comes():
    p = Placement(workers=1, trunks_per_worker=4)
    ready(p)
    assert p.hold(hold()) == [(0, hold())]
    assert p.route("trk_1", RECEPTIONIST) == [(0, Route("trk_1", RECEPTIONIST))]
    assert p.release("trk_1") == ([(0, Release("trk_1"))], False)


def test_a_starting_worker_is_sent_its_holds_once_ready_with_what_changed_meanwhile():
    p = Placement(workers=1, trunks_per_worker=4)
    for trunk_id in ("trk_1", "trk_2", "trk_3"):
        assert p.hold(hold(trunk_id)) == []
    assert p.route("trk_2", RECEPTIONIST) == []
    assert p.release("trk_3") == ([], True)  # never registered: gone at once
    assert ready(p) == [(0, hold("trk_1")), (0, hold("trk_2", routing=RECEPTIONIST))]
    assert p.pending(0) == {} and p.held() == 2


def test_a_route_for_another_trunk_leaves_a_pending_hold_alone():
    p = Placement(workers=1, trunks_per_worker=4)
    p.hold(hold("trk_1"))
    assert p.route("trk_2", RECEPTIONIST) == [] and p.release("trk_2") == ([], True)
    assert p.pending(0) == {"trk_1": hold("trk_1")}


def test_a_route_applied_before_the_hold_reaches_a_replacement_worker():
    p = Placement(workers=1, trunks_per_worker=4)
    ready(p)
    p.hold(hold())
    p.worker_lost(0)
    p.route("trk_1", RECEPTIONIST)
    assert ready(p) == [(0, hold(routing=RECEPTIONIST))]


# --- a worker that dies ---

def test_a_dead_workers_replacement_registers_every_trunk_it_held_from_the_kept_holds():
    p = Placement(workers=2, trunks_per_worker=3)
    ready(p)
    for i in range(4):
        p.hold(hold(f"trk_{i}"))
    p.route("trk_2", RECEPTIONIST)
    assert p.worker_lost(0) == (["trk_0", "trk_2"], [])
    assert not p.ready(0) and p.held() == 4
    assert ready(p, 0) == [(0, hold("trk_0")), (0, hold("trk_2", routing=RECEPTIONIST))]


def test_a_trunk_being_let_go_of_when_its_worker_dies_is_gone_with_it():
    p = Placement(workers=1, trunks_per_worker=3)
    ready(p)
    p.hold(hold("trk_1"))
    p.hold(hold("trk_2"))
    p.release("trk_1")
    assert p.worker_lost(0) == (["trk_2"], ["trk_1"])
    assert ready(p) == [(0, hold("trk_2"))]


def test_a_release_to_a_dead_worker_not_yet_replaced_is_done_at_once():
    p = Placement(workers=1, trunks_per_worker=3)
    ready(p)
    p.hold(hold())
    p.worker_lost(0)
    assert p.release("trk_1") == ([], True) and p.held() == 0
    assert ready(p) == []


# --- answers from the workers ---

def test_a_released_answer_counts_only_for_what_was_asked():
    p = Placement(workers=1, trunks_per_worker=3)
    ready(p)
    p.hold(hold())
    # The worker let go by itself (the edge's lease ran out): the trunk stays placed until
    # the assignment loop says it is lost.
    assert not p.released(0, "trk_1") and p.worker_of("trk_1") == 0
    p.release("trk_1")
    assert not p.released(1, "trk_1")  # another worker's answer
    assert p.released(0, "trk_1") and p.held() == 0
    assert not p.released(0, "trk_1")  # once


def test_a_trunk_held_again_while_its_old_registration_goes_is_kept():
    p = Placement(workers=1, trunks_per_worker=3)
    ready(p)
    p.hold(hold())
    p.release("trk_1")
    assert p.hold(hold(generation=2)) == [(0, hold(generation=2))]
    assert not p.released(0, "trk_1")  # the old one's answer
    assert p.worker_of("trk_1") == 0


# --- stopping ---

def test_a_stopping_edge_sends_shutdown_and_registers_nothing_new():
    p = Placement(workers=2, trunks_per_worker=3)
    ready(p, 0)
    p.hold(hold("trk_1"))  # worker 0, ready
    p.hold(hold("trk_2"))  # worker 1, starting
    assert p.shutdown(90.0) == [(0, Shutdown(90.0))]
    assert p.worker_of("trk_2") is None and p.held() == 1  # never registered
    assert p.hold(hold("trk_3")) == [] and p.worker_of("trk_3") is None
    assert ready(p, 1) == [(1, Shutdown(90.0))]
    assert p.released(0, "trk_1") and p.held() == 0


def test_a_second_signal_shortens_the_shutdown_everywhere():
    p = Placement(workers=2, trunks_per_worker=3)
    ready(p, 0)
    p.shutdown(90.0)
    assert p.shutdown(0.0) == [(0, Shutdown(0.0))]
    assert ready(p, 1) == [(1, Shutdown(0.0))]


def test_a_worker_that_dies_while_the_edge_stops_registers_nothing_again():
    p = Placement(workers=1, trunks_per_worker=3)
    ready(p)
    p.hold(hold())
    p.shutdown(90.0)
    assert p.worker_lost(0) == ([], ["trk_1"])
    assert ready(p) == [(0, Shutdown(90.0))]


# --- passwords that cannot be read ---

def test_a_trunk_whose_password_cannot_be_read_keeps_its_room_and_is_retried_backing_off():
    p = Placement(workers=1, trunks_per_worker=2)
    p.cannot_hold("trk_1", now=100.0)
    assert p.room() == 1 and p.waiting() == ["trk_1"]
    assert p.due(101.9) == [] and p.due(102.0) == ["trk_1"]
    assert p.due(500.0) == []  # being read: asked once
    p.cannot_hold("trk_1", now=103.0)  # the second failure: 4 s
    assert p.due(106.9) == [] and p.due(107.0) == ["trk_1"]
    assert p.hold(hold()) == [] and p.waiting() == [] and p.held() == 1


def test_a_waiting_trunk_let_go_of_is_forgotten():
    p = Placement(workers=1, trunks_per_worker=2)
    p.cannot_hold("trk_1", now=0.0)
    assert p.release("trk_1") == ([], True)
    assert p.waiting() == [] and p.room() == 2


def test_a_stopping_edge_retries_nothing():
    p = Placement(workers=1, trunks_per_worker=2)
    p.cannot_hold("trk_1", now=0.0)
    p.shutdown(90.0)
    assert p.due(1000.0) == [] and p.room() == 2


# --- every order of the events for one trunk on one worker ---

class WorkerModel:
    """What a worker process does with what it is sent (edge/worker.py, as far as accounts go)."""

    def __init__(self) -> None:
        self.accounts: dict[str, Hold] = {}
        self.answers: list[str] = []  # Released, not yet read by the supervisor

    def receive(self, message) -> None:
        if isinstance(message, Hold):
            self.accounts[message.trunk_id] = message
        elif isinstance(message, Route) and message.trunk_id in self.accounts:
            held = self.accounts[message.trunk_id]
            self.accounts[message.trunk_id] = Hold(held.trunk_id, held.tenant_id,
                                                   held.generation, held.account,
                                                   held.password, message.routing)
        elif isinstance(message, Release):
            self.accounts.pop(message.trunk_id, None)
            self.answers.append(message.trunk_id)


EVENTS = "hold", "route", "release", "ready", "lost", "answer"


@pytest.mark.parametrize("order", list(itertools.permutations(EVENTS)),
                         ids=lambda order: "-".join(order))
def test_in_every_order_the_worker_ends_with_exactly_what_the_placement_says(order):
    """The trunk is held once, routed once and let go of once; the worker starts (ready),
    dies (lost, its replacement not yet ready unless `ready` comes later) and answers what it
    was asked (answer): in all 720 orders, the worker registers the trunk exactly when the
    Placement says it holds it there, with the newest routing."""
    p, worker, alive = Placement(workers=1, trunks_per_worker=2), WorkerModel(), False
    for event in order:
        if event == "hold":
            sends = p.hold(hold()) or []
        elif event == "route":
            sends = p.route("trk_1", RECEPTIONIST)
        elif event == "release":
            sends, _ = p.release("trk_1")
        elif event == "ready":
            sends, alive = p.worker_ready(0), True
        elif event == "lost":
            p.worker_lost(0)
            sends, worker, alive = [], WorkerModel(), False
        else:  # answer
            for trunk_id in worker.answers:
                p.released(0, trunk_id)
            sends, worker.answers = [], []
        for index, message in sends:
            assert index == 0 and alive, f"{message} sent to a worker not ready"
            worker.receive(message)
    if order.index("release") > order.index("hold"):
        assert worker.accounts == {}, "registered after it was let go of"
        assert p.worker_of("trk_1") is None or worker.answers, "kept with nothing to wait for"
    else:  # let go of before it was held: held now
        assert p.worker_of("trk_1") == 0
        routing = RECEPTIONIST if order.index("route") > order.index("hold") else CallRouting()
        if alive:
            assert worker.accounts == {"trk_1": hold(routing=routing)}
        else:
            assert worker.accounts == {} and p.pending(0) == {"trk_1": hold(routing=routing)}
