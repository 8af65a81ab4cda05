"""The test phone (tests/support/phone.py) can be a caller, a callee and a transfer target.

Phones register on the Kamailio test PBX (a proxy: calls, REFER and NOTIFY pass through it
end to end) and are driven over stdin/stdout as in the end-to-end tests of the AI agent.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.conftest import assert_exited_cleanly
from tests.support import audio

pytestmark = pytest.mark.sip


def registered(phone_factory, pbx, user, *extra):
    password = {"300": "pw300", "301": "pw301", "1000": "secret"}[user]
    phone = phone_factory(pbx, user, password, "udp", *extra)
    phone.expect("registered")
    return phone


def poll(check, what: str, timeout: float = 5):
    """`check()` until it is truthy (returned), or fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return result


def prompt_wav(path):
    """Speech when espeak-ng and sox are installed, else a two-tone melody: 1-2 s of sound."""
    if not audio.speech_tools_missing():
        return audio.render_speech("Thank you for calling. How can I help?", path)
    return audio.write_wav(path, audio.tone(440, 700) + audio.tone((500, 900), 700))


def test_call_shows_caller_and_carries_dtmf_and_audio(pbx, phone_factory, tmp_path):
    a = registered(phone_factory, pbx, "300", "--name", "Caller Phone")
    b = registered(phone_factory, pbx, "301")

    a.send("call", uri=f"sip:301@{pbx.host}:{pbx.port}", headers={"X-Test-Case": "basic"})
    call = a.expect("calling")["call"]
    incoming = b.expect("incoming")
    assert incoming["from_number"] == "300"
    assert incoming["from_name"] == "Caller Phone"
    assert incoming["from"].startswith('"Caller Phone" <sip:300@127.0.0.1>;tag=')
    assert incoming["request_uri"].startswith("sip:301@127.0.0.1:")  # the contact, via the PBX
    assert "sip:301@" in incoming["to"]
    assert incoming["headers"] == {"X-Test-Case": "basic"}
    a.expect("ringing", code=180)  # the phone rings at once; nobody answers until told

    b.send("answer")
    assert "sip:301@" in a.wait_for("answered", call=call)["remote_uri"]
    assert a.wait_for("media_active")["codec"] == "PCMU"
    b.wait_for("media_active")

    a.send("dtmf", digits="215")
    a.expect("dtmf_sent", method="rfc4733")
    assert "".join(b.expect("dtmf", method="rfc4733")["digit"] for _ in "215") == "215"

    quiet = b.ask("levels", "levels", reset=True)
    assert quiet["rx_packets"] > 0  # A streams RTP all the time ...
    assert quiet["rx_speech_frames"] == 0  # ... but it is silence

    a.send("play", wav=str(prompt_wav(tmp_path / "prompt.wav")))
    assert a.wait_for("played", timeout=10)["complete"] is True
    # The last frames may still be in B's jitter buffer: poll B until it has heard them.
    heard = poll(lambda: (lv := b.ask("levels", "levels"))["rx_speech_frames"] > 25 and lv,
                 "B to hear at least half a second of sound")
    assert heard["rx_rms"] > 300

    b.send("record", wav=str(tmp_path / "heard.wav"))
    a.send("dtmf", digits="215", method="inband")
    a.wait_for("played", what="dtmf")
    # Keep recording until B's last second is quiet again: every tone has arrived.
    poll(lambda: b.ask("levels", "levels")["rx_recent_rms"] < 100,
         "the tones to have reached B")
    b.send("stop_record")
    samples, rate = audio.read_wav(b.wait_for("recorded")["wav"])
    assert rate == 8000
    assert audio.detect_dtmf(samples) == "215"

    a.send("hangup")
    assert a.wait_for("disconnected")["by"] == "local"
    gone = b.wait_for("disconnected")
    assert (gone["by"], gone["last_status"]) == ("remote", 200)
    assert_exited_cleanly(a, b)


def test_blind_transfer_rings_target_with_original_caller(pbx, phone_factory):
    caller = registered(phone_factory, pbx, "300", "--name", "Caller Phone")
    agent = registered(phone_factory, pbx, "301", "--auto-answer")
    target = registered(phone_factory, pbx, "1000", "--answer-after", "0.3")

    caller.send("call", uri="301")  # shorthand for sip:301@<pbx>
    first = caller.wait_for("answered")["call"]
    agent.wait_for("media_active")

    agent.send("xfer", uri=f"sip:1000@{pbx.host}:{pbx.port}")
    agent.expect("xfer_sent")
    assert caller.wait_for("transfer_request", call=first)["dst_uri"].startswith("sip:1000@")
    rings = target.expect("incoming")
    assert (rings["from_number"], rings["from_name"]) == ("300", "Caller Phone")
    assert "sip:301@" in rings["headers"]["Referred-By"]
    second = caller.wait_for("calling", transfer=True)["call"]
    caller.wait_for("answered", call=second)

    final = agent.expect("transfer_status", final=True)
    assert final["code"] == 200
    agent.wait_for("disconnected", by="local")  # the transferor leaves after a final 2xx
    caller.wait_for("disconnected", call=first, by="remote")

    caller.send("hangup")
    caller.wait_for("disconnected", call=second, by="local")
    target.wait_for("disconnected", by="remote")
    assert_exited_cleanly(caller, agent, target)


def test_caller_without_rtp_is_heard_as_nothing(pbx, phone_factory, sipp_factory):
    phone = registered(phone_factory, pbx, "301", "--auto-answer")
    sipp = sipp_factory("caller_no_rtp.xml", f"{pbx.host}:{pbx.port}", "-d", "2000",
                        service="301")

    incoming = phone.expect("incoming")
    assert (incoming["from_number"], incoming["from_name"]) == ("sipp", "No RTP")
    phone.wait_for("answered")
    phone.wait_for("media_active")
    # The meter listens for at least half a second (25 frames of 20 ms) ...
    levels = poll(lambda: (lv := phone.ask("levels", "levels"))["rx_bridge_frames"] > 25 and lv,
                  "half a second of listening")
    assert (levels["rx_packets"], levels["rx_frames"], levels["rx_rms"]) == (0, 0, 0.0)

    assert phone.wait_for("disconnected", timeout=10)["by"] == "remote"
    assert sipp.wait(10) == 0
    assert_exited_cleanly(phone)


def test_audio_helpers_round_trip():
    tones = audio.dtmf_samples("0123456789*#")
    assert len(tones) == 8000 * (80 + 12 * 160) // 1000
    assert audio.detect_dtmf(audio.ulaw_decode(audio.ulaw_encode(tones))) == "0123456789*#"
    assert audio.ulaw_encode([0, -1, 32767, -32768]) == bytes([0xFF, 0x7E, 0x80, 0x00])
    assert audio.detect_dtmf(audio.silence(500)) == ""


def test_render_speech_is_8khz_mono_16bit(tmp_path):
    if audio.speech_tools_missing():
        pytest.fail("espeak-ng/sox not installed: scripts/install-system-deps.sh installs them")
    samples, rate = audio.read_wav(audio.render_speech("extension two one five", tmp_path / "s.wav"))
    assert rate == 8000
    assert 0.5 < len(samples) / rate < 5
    assert audio.rms(samples) > 500
    u = tmp_path / "s-ulaw.wav"
    audio.write_ulaw_wav(u, samples)
    assert audio.read_wav(u)[0] == audio.ulaw_decode(audio.ulaw_encode(samples))
