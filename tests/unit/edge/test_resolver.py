"""The edge's registrar look-ups (edge/resolver.py): off the pump, bounded, in order."""

import threading
import time

import pytest

from edge.resolver import LOOKUP_TIMEOUT, LookupFailed, Resolver


def wait_done(pending, now):
    deadline = time.monotonic() + 5
    while (result := pending.result(now)) is None:
        assert time.monotonic() < deadline, "the look-up never finished"
        time.sleep(0.01)
    return result


def test_a_literal_address_needs_no_lookup():
    resolver = Resolver(lambda name: pytest.fail("looked up"))
    assert resolver.start("192.0.2.10").result(0.0) == ["192.0.2.10"]


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
    assert wait_done(queued, clock[0]) == ["192.0.2.1"]
    resolver.close()


def test_a_failed_lookup_says_why():
    def lookup(name):
        raise LookupFailed(f"DNS lookup of {name} failed: host not found")

    resolver = Resolver(lookup)
    pending = resolver.start("nowhere.example.com")
    with pytest.raises(LookupFailed, match="host not found"):
        wait_done(pending, 0.0)
    resolver.close()


def test_without_a_port_the_srv_records_of_the_transport_come_first():
    """RFC 3263: the best SRV target (lowest priority, then highest weight), and its port."""
    asked = []

    def srv(name):
        asked.append(name)
        return [("backup.pbx.test", 5090, 20, 100), ("b.pbx.test", 5080, 10, 10),
                ("a.pbx.test", 5070, 10, 60)]

    resolver = Resolver({"a.pbx.test": ["192.0.2.7"]}.__getitem__, srv=srv)
    pending = resolver.start("pbx.test", "_sip._udp")
    assert wait_done(pending, 0.0) == ["192.0.2.7"] and pending.port == 5070
    assert asked == ["_sip._udp.pbx.test"]


def test_without_srv_records_the_name_itself_is_looked_up_on_the_default_port():
    resolver = Resolver({"pbx.test": ["192.0.2.8"]}.__getitem__, srv=lambda name: [])
    pending = resolver.start("pbx.test", "_sip._tcp")
    assert wait_done(pending, 0.0) == ["192.0.2.8"] and pending.port is None


def test_with_a_port_no_srv_record_is_asked_for():
    resolver = Resolver({"pbx.test": ["192.0.2.9"]}.__getitem__,
                        srv=lambda name: pytest.fail("SRV asked"))
    pending = resolver.start("pbx.test")
    assert wait_done(pending, 0.0) == ["192.0.2.9"] and pending.port is None
