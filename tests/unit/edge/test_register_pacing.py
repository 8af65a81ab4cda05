"""REGISTERs to one PBX are paced (edge/register_pacing.py)."""

from edge.register_pacing import RegisterPacer


def sent_within(pacer: RegisterPacer, pbx: str, seconds: float, step: float = 0.01) -> int:
    sent, now = 0, 0.0
    while now < seconds:
        while pacer.take(pbx, now):
            sent += 1
        now += step
    return sent


def test_a_burst_then_the_rate():
    pacer = RegisterPacer(rate=10, burst=5)
    assert [pacer.take("192.0.2.1", 0.0) for _ in range(6)] == [True] * 5 + [False]
    assert pacer.take("192.0.2.1", 0.05) is False
    assert pacer.take("192.0.2.1", 0.1) is True


def test_over_a_long_run_the_rate_holds():
    pacer = RegisterPacer(rate=20, burst=20)
    assert 20 + 20 * 10 - 1 <= sent_within(pacer, "192.0.2.1", 10.0) <= 20 + 20 * 10


def test_each_pbx_has_its_own_allowance():
    pacer = RegisterPacer(rate=1, burst=2)
    assert [pacer.take("192.0.2.1", 0.0) for _ in range(3)] == [True, True, False]
    assert [pacer.take("198.51.100.7", 0.0) for _ in range(3)] == [True, True, False]


def test_many_pbxs_do_not_grow_the_state_without_bound():
    pacer = RegisterPacer(rate=5, burst=5)
    for i in range(10_000):
        assert pacer.take(f"pbx-{i}", float(i))
    assert len(pacer._buckets) <= 4097
