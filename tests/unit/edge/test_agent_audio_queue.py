"""What an agent queues at the edge is bounded (edge/media/port.py)."""

from edge.media.port import MAX_QUEUED_SECONDS, ULAW_FRAME, AgentAudioPort


def port(overflows: list) -> AgentAudioPort:
    return AgentAudioPort(on_caller_audio=lambda _: None, on_mark=lambda _: None,
                          on_overflow=lambda: overflows.append(1))


def test_audio_beyond_the_limit_is_dropped_and_reported_once():
    overflows = []
    p = port(overflows)
    second = b"\x2a" * (ULAW_FRAME * 50)
    for _ in range(MAX_QUEUED_SECONDS + 30):
        p.play(second)
    assert p.queued_seconds() == MAX_QUEUED_SECONDS
    assert p.dropped_frames == 30 * 50 and overflows == [1]


def test_clear_empties_the_queue_and_makes_room_again():
    overflows = []
    p = port(overflows)
    p.play(b"\x2a" * (ULAW_FRAME * 50 * (MAX_QUEUED_SECONDS + 1)))
    p.clear()
    assert p.queued_seconds() == 0
    p.play(b"\x2a" * (ULAW_FRAME * 50))
    assert p.queued_seconds() == 1
