"""The worker's media pump (edge/media/loop.py): every open stream is pumped once per 20 ms
tick, on a schedule that does not drift, and nothing ticks while no stream is open."""

from __future__ import annotations

import pytest

from edge.media.loop import TICK_SECONDS, MediaPump


class FakeLoop:
    """The two things the pump asks of an event loop, on a clock the test moves."""

    def __init__(self):
        self.now = 100.0
        self.timers: list[tuple[float, object]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback):
        self.timers.append((when, callback))
        return object()

    def run_until(self, until: float, late: float = 0.0) -> None:
        """Fire due timers in order; each one `late` seconds after it was due."""
        while self.timers and min(self.timers, key=lambda t: t[0])[0] <= until:
            timer = min(self.timers, key=lambda t: t[0])
            self.timers.remove(timer)
            self.now = max(self.now, timer[0] + late)
            timer[1]()
        self.now = max(self.now, until)


class Stream:
    def __init__(self, loop: FakeLoop):
        self.loop, self.pumped = loop, []

    def pump(self) -> None:
        self.pumped.append(round(self.loop.now, 6))


def test_every_open_stream_is_pumped_each_tick():
    loop = FakeLoop()
    pump = MediaPump(loop)
    a, b = Stream(loop), Stream(loop)
    pump.add(a)
    pump.add(b)
    loop.run_until(100.1)
    assert len(a.pumped) == len(b.pumped) == 5
    assert a.pumped == pytest.approx([100.02, 100.04, 100.06, 100.08, 100.1])


def test_late_ticks_do_not_push_the_next_ones_back():
    loop = FakeLoop()
    pump = MediaPump(loop)
    stream = Stream(loop)
    pump.add(stream)
    loop.run_until(100.2, late=0.005)  # each tick runs 5 ms after it was due
    assert len(stream.pumped) == 10
    assert stream.pumped[-1] == pytest.approx(100.2 + 0.005)


def test_after_a_stall_the_pump_starts_afresh_instead_of_bursting():
    loop = FakeLoop()
    pump = MediaPump(loop)
    stream = Stream(loop)
    pump.add(stream)
    loop.run_until(100.02)
    (due, callback), = loop.timers
    loop.timers.clear()
    loop.now = 101.0  # the loop was blocked for a second
    callback()
    (next_due, _), = loop.timers
    assert next_due == pytest.approx(101.0 + TICK_SECONDS)


def test_nothing_ticks_once_the_last_stream_is_gone_and_it_resumes_with_the_next():
    loop = FakeLoop()
    pump = MediaPump(loop)
    stream = Stream(loop)
    pump.add(stream)
    loop.run_until(100.04)
    pump.discard(stream)
    loop.run_until(101.0)
    assert loop.timers == [] and len(stream.pumped) == 2
    again = Stream(loop)
    pump.add(again)
    loop.run_until(101.06)
    assert again.pumped == pytest.approx([101.02, 101.04, 101.06])
