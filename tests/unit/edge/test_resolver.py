"""The edge's registrar look-ups (edge/resolver.py): off the pump, bounded, in order."""

import random
import threading
import time
from collections import Counter

import pytest

from edge.resolver import LOOKUP_TIMEOUT, MAX_ADDRESSES, LookupFailed, Resolver, srv_order


def wait_done(pending, now):
    deadline = time.monotonic() + 5
    while (result := pending.result(now)) is None:
        assert time.monotonic() < deadline, "the look-up never finished"
        time.sleep(0.01)
    return result


def test_a_literal_address_needs_no_lookup():
    resolver = Resolver(lambda name: pytest.fail("looked up"))
    assert resolver.start("192.0.2.10").result(0.0) == [("192.0.2.10", None)]


def test_a_lookup_queued_behind_others_is_not_timed_out_while_it_waits():
    """250 trunks held at once queue 250 look-ups; the deadline counts from each one's start."""
    gate = threading.Event()
    clock = [0.0]

    def lookup(name):
        gate.wait(5)
        return ["192.0.2.1"]

    resolver = Resolver(lookup, workers=1, monotonic=lambda: clock[0])
    first, queued = resolver.start("a.example.com"), resolver.start("b.example.com")
    while not first.started:  # the pool thread has taken the first one up, at clock 0
        time.sleep(0.001)
    clock[0] = LOOKUP_TIMEOUT - 1
    assert queued.result(clock[0] + 100) is None  # not begun: no deadline yet
    with pytest.raises(LookupFailed, match="timed out"):
        first.result(LOOKUP_TIMEOUT + 0.1)  # begun at 0: over its deadline
    gate.set()
    assert wait_done(queued, clock[0]) == [("192.0.2.1", None)]
    resolver.close()


def test_a_failed_lookup_says_why():
    def lookup(name):
        raise LookupFailed(f"DNS lookup of {name} failed: host not found")

    resolver = Resolver(lookup)
    pending = resolver.start("nowhere.example.com")
    with pytest.raises(LookupFailed, match="host not found"):
        wait_done(pending, 0.0)
    resolver.close()


def test_without_a_port_the_srv_records_of_the_transport_come_first_in_rfc_2782_order():
    """RFC 3263: every SRV target, the lowest priority first, each with its port and each of
    its addresses in turn (the next hops to fail over to)."""
    asked = []

    def srv(name):
        asked.append(name)
        return [("backup.pbx.test", 5090, 20, 100), ("b.pbx.test", 5080, 10, 0),
                ("a.pbx.test", 5070, 10, 60)]

    addresses = {"a.pbx.test": ["192.0.2.7", "192.0.2.17"], "b.pbx.test": ["192.0.2.8"],
                 "backup.pbx.test": ["192.0.2.9"]}
    resolver = Resolver(addresses.__getitem__, srv=srv, rng=random.Random(1))
    pending = resolver.start("pbx.test", "_sip._udp")
    hops = wait_done(pending, 0.0)
    assert hops[-1] == ("192.0.2.9", 5090)  # priority 20 after every priority-10 target
    assert sorted(hops[:3]) == [("192.0.2.17", 5070), ("192.0.2.7", 5070), ("192.0.2.8", 5080)]
    assert asked == ["_sip._udp.pbx.test"]


def test_within_a_priority_targets_come_first_in_proportion_to_their_weight():
    """RFC 2782's weighted draw: weight 60 against 20 and 20 leads 60 % of the time; weight 0
    leads only when the draw picks 0 (1 in 101 here)."""
    records = [("a", 1, 10, 60), ("b", 2, 10, 20), ("c", 3, 10, 20), ("z", 4, 10, 0)]
    rng = random.Random(7)
    firsts = Counter(srv_order(records, rng)[0][0] for _ in range(5000))
    assert 0.56 < firsts["a"] / 5000 < 0.64
    assert 0.17 < firsts["b"] / 5000 < 0.23 and 0.17 < firsts["c"] / 5000 < 0.23
    assert firsts["z"] < 5000 * 0.03
    assert all(sorted(srv_order(records, rng)) == sorted((t, p) for t, p, _, _ in records)
               for _ in range(20))  # every target, each once


def test_a_srv_target_that_does_not_resolve_is_skipped():
    def lookup(name):
        if name == "gone.pbx.test":
            raise LookupFailed("DNS lookup of gone.pbx.test failed: host not found")
        return ["192.0.2.20"]

    resolver = Resolver(lookup, srv=lambda name: [("gone.pbx.test", 5060, 1, 0),
                                                   ("up.pbx.test", 5062, 2, 0)])
    assert wait_done(resolver.start("pbx.test", "_sip._udp"), 0.0) == [("192.0.2.20", 5062)]


def test_srv_targets_none_of_which_resolves_fail_with_the_look_up_s_reason():
    def lookup(name):
        raise LookupFailed(f"DNS lookup of {name} failed: host not found")

    resolver = Resolver(lookup, srv=lambda name: [("gone.pbx.test", 5060, 1, 0)])
    with pytest.raises(LookupFailed, match="gone.pbx.test failed: host not found"):
        wait_done(resolver.start("pbx.test", "_sip._udp"), 0.0)


def test_next_hops_are_capped():
    many = [(f"t{i}.pbx.test", 5060 + i, i, 0) for i in range(20)]
    resolver = Resolver(lambda name: ["192.0.2.1", "192.0.2.2"], srv=lambda name: many)
    hops = wait_done(resolver.start("pbx.test", "_sip._udp"), 0.0)
    assert len(hops) == MAX_ADDRESSES and hops[:2] == [("192.0.2.1", 5060), ("192.0.2.2", 5060)]


def test_without_srv_records_the_name_itself_is_looked_up_on_the_default_port():
    resolver = Resolver({"pbx.test": ["192.0.2.8"]}.__getitem__, srv=lambda name: [])
    pending = resolver.start("pbx.test", "_sip._tcp")
    assert wait_done(pending, 0.0) == [("192.0.2.8", None)]


def test_with_a_port_no_srv_record_is_asked_for():
    resolver = Resolver({"pbx.test": ["192.0.2.9"]}.__getitem__,
                        srv=lambda name: pytest.fail("SRV asked"))
    pending = resolver.start("pbx.test")
    assert wait_done(pending, 0.0) == [("192.0.2.9", None)]
