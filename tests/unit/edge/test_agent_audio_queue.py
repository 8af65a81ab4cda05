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


def play_out(p: AgentAudioPort, frames: int) -> None:
    """pjmedia's clock asking for `frames` frames of 20 ms."""
    import pjsua2 as pj

    for _ in range(frames):
        p.onFrameRequested(pj.MediaFrame())


def test_a_cue_fires_once_the_audio_queued_before_it_has_played():
    cues, marks = [], []
    p = AgentAudioPort(on_caller_audio=lambda _: None, on_mark=marks.append,
                       on_cue=cues.append)
    p.play(b"\x2a" * (ULAW_FRAME * 3))
    p.mark("said")
    p.cue("transfer")
    p.play(b"\x2a" * ULAW_FRAME)          # sent after the cue: plays after it
    play_out(p, 3)
    assert (marks, cues) == ([], [])
    play_out(p, 1)
    assert (marks, cues) == (["said"], ["transfer"])
    assert p.queued_seconds() == 0.0


def test_clear_hands_back_what_waited_behind_the_audio_in_order():
    cues = []
    p = AgentAudioPort(on_caller_audio=lambda _: None, on_mark=lambda _: None,
                       on_cue=cues.append)
    p.play(b"\x2a" * (ULAW_FRAME * 10))
    p.mark("m1")
    p.cue("hangup")
    assert p.clear() == ["m1", "hangup"]
    play_out(p, 2)
    assert cues == []                     # handed back, not fired a second time
