"""The supervisor's side of assignments, with no processes and no threads: the AWS side
(edge/control.py) is stepped by hand, the loop applies what it found. Workers are never
started; a Ready one records what it is sent. Leases live in the fake lease table (fakes.py,
conftest.py)."""

from __future__ import annotations

import pytest

from edge.protocol import CallUp, Hold, Release, Released, Report
from edge.supervisor import Supervisor
from smartalex.domain.messages import CallEnded, RegistrationObserved
from smartalex.domain.registration import RegistrationState

from .conftest import poll, ready, settle
from .fakes import TRUNK
from .test_worker_process import RecordingConn


class Outbox:
    def __init__(self):
        self.sent = []

    def put(self, envelope):
        self.sent.append(envelope)


@pytest.fixture
def edge(make_supervisor) -> Supervisor:
    edge = make_supervisor()
    edge.outbox = Outbox()
    return edge


def holds(edge: Supervisor) -> list[Hold]:
    return [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Hold)]


def test_a_trunk_lost_while_its_worker_starts_frees_that_worker(edge, table, time):
    poll(edge)
    index = edge.placement.worker_of(TRUNK)
    assert isinstance(edge.placement.pending(index)[TRUNK], Hold)
    table.take_over(TRUNK, "edge-b#1")
    poll(edge)
    assert edge.placement.pending(index) == {} and edge.worker_for(TRUNK) is None
    assert edge.placement.room() == edge.placement.capacity and TRUNK not in edge.keeper.held


def test_a_trunk_deleted_while_its_worker_starts_hands_its_lease_back(edge, table):
    poll(edge)
    table.delete(TRUNK)
    poll(edge)
    settle(edge)
    assert edge.placement.room() == edge.placement.capacity and TRUNK not in edge.keeper.held


def test_a_deleted_trunk_is_handed_back_once_its_worker_un_registered_it(edge, table):
    ready(edge)
    poll(edge)
    w = edge.worker_for(TRUNK)
    table.delete(TRUNK)
    poll(edge)
    assert w.conn.sent[-1] == Release(TRUNK) and TRUNK in edge.keeper.held
    edge.on_worker_message(w, Released(TRUNK))
    settle(edge)
    assert TRUNK not in edge.keeper.held and edge.placement.held() == 0


def test_a_password_that_cannot_be_read_is_read_again_backing_off(edge, time):
    ready(edge)
    edge.control.services.secrets.readable = False
    poll(edge)
    assert holds(edge) == [] and TRUNK in edge.keeper.held  # kept: another edge fares no better
    assert [e.payload.problem.value for e in edge.outbox.sent] == ["no_credentials"]
    time.advance(1.9)
    edge.turn(timeout=0)
    settle(edge)
    assert len(edge.outbox.sent) == 1                  # not yet: the first retry is after 2 s
    time.advance(0.2)
    edge.turn(timeout=0)
    settle(edge)
    assert len(edge.outbox.sent) == 2 and holds(edge) == []
    edge.control.services.secrets.readable = True
    time.advance(3.9)
    edge.turn(timeout=0)
    settle(edge)
    assert holds(edge) == []                           # the second retry comes 4 s after
    time.advance(0.2)
    edge.turn(timeout=0)
    settle(edge)
    assert [h.trunk_id for h in holds(edge)] == [TRUNK]
    assert edge.worker_for(TRUNK) is not None and edge.placement.waiting() == []


def test_claimed_trunks_spread_over_the_workers_up_to_their_capacity(make_supervisor, table):
    edge = make_supervisor(trunks_per_worker=2)
    ready(edge)
    for i in range(2, 7):
        table.add(f"trk_{i:04d}")
    for _ in range(3):  # the claim limit per poll: claim until nothing more fits
        poll(edge)
    per_worker = [sorted(m.trunk_id for m in w.conn.sent if isinstance(m, Hold))
                  for w in edge.workers]
    assert [len(trunks) for trunks in per_worker] == [2, 2]
    assert edge.placement.room() == 0 and len(edge.keeper.held) == 4
    assert len(table.held_by_edge("edge-a")) == 4 and len(table.trunks) == 6  # two stay free


def test_a_dead_worker_is_restarted_with_every_trunk_it_held_read_from_nothing(
        make_supervisor, table, monkeypatch):
    edge = make_supervisor(trunks_per_worker=3)
    ready(edge)
    for i in range(2, 5):
        table.add(f"trk_{i:04d}")
    poll(edge)
    first = edge.workers[0]
    on_first = sorted(edge.placement.trunks_on(0))
    assert len(on_first) == 2
    started = []
    for w in edge.workers:
        w.last_seen = float("inf")  # heard from just now: not hung
        monkeypatch.setattr(w, "is_alive", lambda w=w: w is not first)
        monkeypatch.setattr(w, "start", lambda w=w: started.append(w.index))
        monkeypatch.setattr(w, "kill", lambda: None)
        monkeypatch.setattr(w, "join", lambda timeout=None: None)
    edge.control.services.secrets.readable = False  # no AWS read is needed for this
    edge.keep_alive()
    assert started == [0]
    assert sorted(edge.placement.pending(0)) == on_first  # sent once the new one is Ready
    first.conn = RecordingConn()
    edge.on_worker_message(first, __import__("edge.protocol").protocol.Ready(1))
    assert sorted(h.trunk_id for h in holds(edge) if h in first.conn.sent) == on_first


def test_a_registration_status_is_reported_only_while_the_trunk_is_held(edge, table):
    ready(edge)
    poll(edge)
    w = edge.worker_for(TRUNK)
    registered = RegistrationObserved(state=RegistrationState.REGISTERED)
    edge.on_worker_message(w, Report(TRUNK, 1, registered))
    table.take_over(TRUNK, "edge-b#1")
    poll(edge)
    edge.on_worker_message(w, Report(TRUNK, 1, registered))  # late: not ours to say
    assert [(e.trunk, e.fence, e.sequence) for e in edge.outbox.sent] == [(TRUNK, 1, 1)]


def test_a_calls_record_is_reported_after_the_trunk_went_with_the_next_sequence(edge, table):
    """A call outlives its trunk's lease (the edge drains, or loses the trunk; the call goes
    on): what it reports when it ends still carries the trunk's tenant and a growing order."""
    from datetime import datetime, timezone

    ready(edge)
    poll(edge)
    w = edge.worker_for(TRUNK)
    edge.on_worker_message(w, Report(TRUNK, 1, RegistrationObserved(
        state=RegistrationState.REGISTERED)))
    table.take_over(TRUNK, "edge-b#1")
    poll(edge)
    now = datetime.now(timezone.utc)
    ended = CallEnded(call_id="call-1", extension="1000", caller={"number": "300"},
                      started_at=now, ended_at=now, outcome="answered")
    edge.on_worker_message(w, Report(TRUNK, 1, ended))
    assert [(e.type, e.tenant, e.fence, e.sequence) for e in edge.outbox.sent] == [
        ("registration.observed", "tenant-a", 1, 1), ("call.ended", "tenant-a", 1, 2)]


def test_the_loop_never_waits_on_aws(edge, table, time):
    """What workers send is handled whatever the AWS side is doing: a worker's call is known
    and its report queued with the AWS side unreachable."""
    from datetime import datetime, timezone

    ready(edge)
    poll(edge)
    edge.keeper.store.unreachable = True
    w = edge.worker_for(TRUNK)
    now = datetime.now(timezone.utc)
    record = CallEnded(call_id="call-1", extension="1000", caller={"number": "300"},
                       started_at=now, ended_at=now, outcome="edge_failed")
    edge.on_worker_message(w, CallUp(TRUNK, 1, record, None))
    edge.turn(timeout=0)
    assert edge.worker_states()[w.index]["calls"] == 1


class Metrics:
    def __init__(self):
        self.published = []

    def publish(self, values):
        self.published.append({name: value for name, (value, _) in values.items()})


def test_the_demand_metric_counts_the_trunks_waiting_for_an_edge_shared_between_live_edges(
        make_supervisor, table, time):
    """Two trunks per worker, two workers: 4 held, 6 more wait, and another live edge shares
    the wait: (4 + 6 / 2) / 4. Capacity used alone saturates at 1 and hides the 6."""
    from edge.lease import EdgeLease

    from .fakes import FakeLeaseStore

    edge = make_supervisor(trunks_per_worker=2)
    edge.control.metrics = Metrics()
    ready(edge)
    for i in range(2, 11):
        table.add(f"trk_{i:04d}")
    for _ in range(3):
        poll(edge)
    other = EdgeLease(FakeLeaseStore(table, "edge-b", time), "edge-b",
                      monotonic=time.monotonic(9_000.0), wall=time.wall)
    other.step()  # alive, holding nothing, full (it claims nothing here)
    edge.turn(timeout=0)
    edge.control.publish_metrics()
    [values] = edge.control.metrics.published
    assert values["RegistrationCapacityUsed"] == 1.0
    assert values["RegistrationDemand"] == (4 + 6 / 2) / 4


def test_a_starting_worker_has_a_minute_to_get_ready_then_only_the_heartbeat_timeout(
        make_supervisor, monkeypatch, time):
    edge = make_supervisor()
    started = []
    for w in edge.workers:
        w.last_seen = edge.control.monotonic()  # started just now
        monkeypatch.setattr(w, "start", lambda w=w: started.append(w.index))
        monkeypatch.setattr(w, "kill", lambda: None)
        monkeypatch.setattr(w, "join", lambda timeout=None: None)
    edge._send(edge.placement.worker_ready(1))
    time.advance(edge.settings.heartbeat_timeout + 1)
    edge.keep_alive()
    assert started == [1]  # Ready and silent: hung; still starting: not yet
    time.advance(edge.settings.start_timeout)
    edge.keep_alive()
    assert sorted(started) == [0, 1, 1]


def test_the_edge_takes_its_lease_once_every_worker_is_ready(make_supervisor, monkeypatch):
    edge = make_supervisor()
    taken = []
    monkeypatch.setattr(edge.lease, "start", lambda: taken.append(True))
    edge._started = edge.control.monotonic()
    edge._take_the_lease()
    edge._send(edge.placement.worker_ready(0))
    edge._take_the_lease()
    assert taken == []
    edge._send(edge.placement.worker_ready(1))
    edge._take_the_lease()
    edge._take_the_lease()
    assert taken == [True]


def test_numbers_read_before_the_index_caught_up_are_read_again_until_they_match(
        edge, table):
    """DynamoDB's trunk index lists a fresh binding a little later than the trunk records it
    (moto never lags, so this index does it by hand): the edge reads again until the numbers
    it lists are the ones the trunk records, and routes calls by those."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from edge.protocol import Route
    from smartalex.domain.phone_number import PhoneNumber

    bound = PhoneNumber(number_id="num_1", tenant_id="tenant-a", e164="+353871234567",
                        national_number="0871234567", label=None, trunk_id=TRUNK,
                        extension="0001", agent_id="agt_1",
                        created_at=datetime(2025, 3, 1, tzinfo=timezone.utc))
    lagging = {"reads": 0}

    def index(trunk_id):
        lagging["reads"] += 1
        return [] if lagging["reads"] <= 2 else [bound]  # behind for two reads

    edge.control.services.numbers.for_trunk = index
    table.trunks[TRUNK] = replace(table.trunks[TRUNK], bound_numbers=frozenset({"num_1"}),
                                  bindings_version=1)
    ready(edge)
    poll(edge)
    assert [h.routing.numbers for h in holds(edge)] == [()]  # not routed by a stale read
    poll(edge)
    routes = [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Route)]
    assert routes == []  # the second read lagged too
    poll(edge)
    routes = [m for w in edge.workers if w.conn for m in w.conn.sent if isinstance(m, Route)]
    assert [[b.number.number_id for b in r.routing.numbers] for r in routes] == [["num_1"]]
    poll(edge)
    assert lagging["reads"] == 3  # caught up: no more reads until the bindings change again
