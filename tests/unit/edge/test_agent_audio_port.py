"""The call's audio tap (edge/media/port.py over the native StreamPort): what pjmedia's clock
thread asks for and hands over, driven here by calling the port's frame callbacks directly, as
the clock thread would."""

from __future__ import annotations

import audioop
import math
import threading
import time

import pjsua2 as pj

from edge.media.port import (MAX_CALLER_SECONDS, MAX_QUEUED_SECONDS, ULAW_FRAME,
                             AgentAudioPort)

PCM_FRAME = ULAW_FRAME * 2


def tone(frames: int, amplitude: int = 8000) -> bytes:
    """16-bit PCM at 8 kHz: a 400 Hz tone."""
    samples = frames * ULAW_FRAME
    return b"".join(int(amplitude * math.sin(2 * math.pi * 400 * i / 8000)).to_bytes(
        2, "little", signed=True) for i in range(samples))


def request(port: AgentAudioPort) -> bytes:
    """One frame the clock thread asks the port for (what the caller hears)."""
    frame = pj.MediaFrame()
    frame.size = PCM_FRAME
    port.media.onFrameRequested(frame)
    assert frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size == PCM_FRAME
    return bytes(frame.buf)


def receive(port: AgentAudioPort, pcm: bytes) -> None:
    """One frame the clock thread hands the port (what the caller said)."""
    frame = pj.MediaFrame()
    frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
    frame.buf = pj.ByteVector(pcm)
    frame.size = len(pcm)
    port.media.onFrameReceived(frame)


def test_agent_audio_is_played_frame_by_frame_in_order_then_silence():
    port = AgentAudioPort()
    speech = audioop.lin2ulaw(tone(3), 2)
    port.play(speech[:100])  # chunks that do not line up with frames
    port.play(speech[100:])
    assert port.queued_seconds() == 0.06
    heard = b"".join(request(port) for _ in range(3))
    assert heard == audioop.ulaw2lin(speech, 2)
    assert request(port) == bytes(PCM_FRAME)
    assert port.queued_seconds() == 0


def test_a_mark_is_reported_once_everything_before_it_has_played():
    port = AgentAudioPort()
    port.play(b"\x2a" * (ULAW_FRAME * 2))
    port.mark("greeting")
    port.play(b"\x2a" * ULAW_FRAME)
    port.mark("end")
    request(port)
    assert port.take_played() == []
    request(port)
    request(port)  # the frame after the mark: the mark was passed on the way
    assert port.take_played() == ["greeting"]
    request(port)
    assert port.take_played() == ["end"]
    assert port.take_played() == []


def test_a_mark_pads_a_partial_frame_with_silence_so_nothing_is_lost():
    port = AgentAudioPort()
    port.play(b"\x00" * 10)
    port.mark("m")
    assert port.queued_seconds() == 0.02
    pcm = request(port)
    assert pcm[:20] == audioop.ulaw2lin(b"\x00" * 10, 2)
    assert pcm[20:] == audioop.ulaw2lin(b"\xff" * (ULAW_FRAME - 10), 2)


def test_a_cue_is_handed_back_once_the_audio_queued_before_it_has_played():
    port = AgentAudioPort()
    port.play(b"\x2a" * (ULAW_FRAME * 3))
    port.mark("said")
    port.cue(("transfer", "billing"))
    port.play(b"\x2a" * ULAW_FRAME)  # sent after the cue: plays after it
    for _ in range(3):
        request(port)
    assert port.take_played() == []
    request(port)
    assert port.take_played() == ["said", ("transfer", "billing")]
    assert port.queued_seconds() == 0


def test_an_agents_mark_cannot_pass_for_one_of_the_edges_cues():
    port = AgentAudioPort()
    port.cue("hangup")
    port.mark("c0")  # the name the cue travels under, inside the port, if marks were not kinded
    request(port)
    assert port.take_played() == ["hangup", "c0"]


def test_clear_hands_back_what_waited_behind_the_audio_in_order_and_only_once():
    port = AgentAudioPort()
    port.play(b"\x2a" * (ULAW_FRAME * 10))
    port.mark("m1")
    port.cue("hangup")
    assert port.clear() == ["m1", "hangup"]
    request(port)
    assert port.take_played() == []


def test_clear_drops_queued_audio_and_returns_the_waiting_marks():
    port = AgentAudioPort()
    port.play(b"\x2a" * (ULAW_FRAME * 50))
    port.mark("a")
    port.play(b"\x2a" * ULAW_FRAME)
    port.mark("b")
    assert port.clear() == ["a", "b"]
    assert port.queued_seconds() == 0
    assert request(port) == bytes(PCM_FRAME)
    assert port.take_played() == []


def test_agent_audio_beyond_the_limit_is_dropped_and_reported_once():
    overflows = []
    port = AgentAudioPort(on_overflow=lambda: overflows.append(1))
    second = b"\x2a" * (ULAW_FRAME * 50)
    for _ in range(MAX_QUEUED_SECONDS + 30):
        port.play(second)
    assert port.queued_seconds() == MAX_QUEUED_SECONDS
    assert port.dropped_frames == 30 * 50 and overflows == [1]


def test_clear_makes_room_again():
    port = AgentAudioPort()
    port.play(b"\x2a" * (ULAW_FRAME * 50 * (MAX_QUEUED_SECONDS + 1)))
    port.clear()
    port.play(b"\x2a" * (ULAW_FRAME * 50))
    assert port.queued_seconds() == 1


def test_caller_audio_is_taken_in_bulk_as_mu_law():
    port = AgentAudioPort()
    pcm = tone(3)
    for at in range(0, len(pcm), PCM_FRAME):
        receive(port, pcm[at:at + PCM_FRAME])
    assert port.take_caller_audio() == audioop.lin2ulaw(pcm, 2)
    assert port.take_caller_audio() == b""
    assert port.received_frames == 3


def test_caller_audio_nobody_takes_is_bounded_keeping_the_newest():
    port = AgentAudioPort()
    frames = MAX_CALLER_SECONDS * 50 + 10
    for i in range(frames):
        receive(port, (i % 100).to_bytes(2, "little") * ULAW_FRAME)
    kept = port.take_caller_audio()
    assert len(kept) == MAX_CALLER_SECONDS * 50 * ULAW_FRAME
    assert kept[:ULAW_FRAME] == audioop.lin2ulaw((10 % 100).to_bytes(2, "little"), 2) * ULAW_FRAME


def test_the_port_knows_when_the_caller_last_made_a_sound():
    port = AgentAudioPort()
    receive(port, bytes(PCM_FRAME))
    assert port.voiced_at is None  # silence only
    before = time.monotonic()
    receive(port, tone(1))
    assert before - 0.01 <= port.voiced_at <= time.monotonic() + 0.01


def test_the_port_knows_when_the_agent_was_last_heard():
    port = AgentAudioPort()
    request(port)
    assert port.played_at is None  # silence only
    port.play(b"\x2a" * ULAW_FRAME)
    before = time.monotonic()
    request(port)
    assert before - 0.01 <= port.played_at <= time.monotonic() + 0.01


def test_a_detached_port_is_inert_for_the_other_threads():
    port = AgentAudioPort()
    port.detach()
    port.play(b"\x2a" * ULAW_FRAME)
    port.mark("m")
    assert (port.take_caller_audio(), port.take_played(), port.clear(),
            port.queued_seconds(), port.voiced_at) == (b"", [], [], 0.0, None)


def test_the_clock_thread_and_the_agent_can_use_the_port_at_once():
    port = AgentAudioPort()
    stop = threading.Event()

    def clock():
        while not stop.is_set():
            request(port)
            receive(port, bytes(PCM_FRAME))

    thread = threading.Thread(target=clock)
    thread.start()
    try:
        for i in range(2000):
            port.play(b"\x2a" * 37)
            if i % 7 == 0:
                port.mark(f"m{i}")
            if i % 50 == 0:
                port.clear()
            port.take_caller_audio()
            port.take_played()
    finally:
        stop.set()
        thread.join()
    port.clear()
    assert port.queued_seconds() == 0
