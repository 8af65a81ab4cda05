"""Whether audio flows both ways (edge/audio_watch.py), from counters sampled every second."""

from edge.audio_watch import (
    MIN_SENT,
    NO_AUDIO_AFTER,
    NOT_REACHING_AFTER,
    STOPPED_AFTER,
    AudioProblem,
    AudioWatch,
    Sample,
)

PER_SECOND = 50  # 20 ms packets


def play(watch: AudioWatch, seconds: int, *, rx=PER_SECOND, tx=PER_SECOND, rtcp=True,
         reports=lambda t: t // 5, lost=lambda t: 0, hold=False, start=0):
    """Sample once a second; each second adds `rx`/`tx` packets. Returns {problem: second}."""
    found = {}
    for t in range(start + 1, start + seconds + 1):
        sample = Sample(rx_packets=rx_total(rx, t), tx_packets=tx * t, rtcp_heard=rtcp,
                        reports=reports(t), reported_lost=lost(t), on_hold=hold)
        for problem in watch.sample(float(t), sample):
            found[problem] = t
    return found


def rx_total(rx, t):
    return rx(t) if callable(rx) else rx * t


def test_audio_both_ways_is_fine():
    assert play(AudioWatch(answered_at=0.0), 120) == {}


def test_nothing_from_the_pbx_is_told_once_after_5_seconds():
    found = play(AudioWatch(answered_at=0.0), 60, rx=0)
    assert found == {AudioProblem.NONE_IN: NO_AUDIO_AFTER}


def test_reports_without_a_word_about_our_stream_mean_ours_does_not_reach_the_pbx():
    found = play(AudioWatch(answered_at=0.0), 60, reports=lambda t: 0)
    assert found == {AudioProblem.NONE_OUT: NOT_REACHING_AFTER}


def test_reports_counting_most_of_ours_as_lost_mean_the_same():
    found = play(AudioWatch(answered_at=0.0), 60, lost=lambda t: PER_SECOND * max(t - 5, 0))
    assert AudioProblem.NONE_OUT in found


def test_a_pbx_that_sends_no_rtcp_is_not_judged():
    assert play(AudioWatch(answered_at=0.0), 60, rtcp=False, reports=lambda t: 0) == {}


def test_an_ai_that_has_barely_spoken_is_not_judged_yet():
    found = play(AudioWatch(answered_at=0.0), 60, tx=MIN_SENT // 60 - 1, reports=lambda t: 0)
    assert found == {}


def test_audio_that_stops_mid_call_is_told_once_after_15_quiet_seconds():
    watch = AudioWatch(answered_at=0.0)
    found = play(watch, 60, rx=lambda t: PER_SECOND * min(t, 20))
    assert found == {AudioProblem.STOPPED: 20 + STOPPED_AFTER}
    assert watch.stopped_after == 20


def test_a_call_on_hold_is_not_judged_and_gets_its_time_back_after():
    watch = AudioWatch(answered_at=0.0)
    assert play(watch, 10) == {}
    assert play(watch, 60, rx=lambda t: PER_SECOND * 10, hold=True, start=10) == {}
    found = play(watch, int(STOPPED_AFTER) - 1, rx=lambda t: PER_SECOND * 10, start=70)
    assert found == {}
