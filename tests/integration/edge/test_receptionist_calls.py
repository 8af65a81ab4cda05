"""The built-in receptionist answers the AI extension and transfers by keypad or by voice.

The whole chain: caller phone → Kamailio → edge (pjsua2) → receptionist (WebSocket, espeak-ng,
pocketsphinx) → directory → REFER → the caller's phone calls the target itself.
"""

from __future__ import annotations


import pytest

from tests.support.audio import render_speech

from .conftest import wait_for
from .office import caller, dial_the_ai, last_call, registered

pytestmark = pytest.mark.sip


def greeting_finished(phone, timeout: float = 20) -> None:
    """Wait until the caller has heard the greeting start and then go quiet."""
    wait_for(lambda: phone.ask("levels", "levels")["rx_speech_frames"] > 10, timeout,
             "the greeting")
    wait_for(lambda: phone.ask("levels", "levels")["rx_recent_rms"] < 50, timeout,
             "the greeting to end", interval=0.2)


def transferred_to_sarah(control_plane, trunk, phone, target) -> None:
    ringing = target.wait_for("incoming", 30)
    assert ringing["from_number"] == "300"         # the ORIGINAL caller's number
    phone.wait_for("disconnected", 15)              # the AI's leg is gone
    record = last_call(control_plane, trunk)
    assert record.label == "Transferred to 215 (Sarah Murphy)"


def test_the_caller_keys_2_1_5_and_is_transferred_to_sarah(control_plane, office, edge_factory,
                                                           phone_factory):
    pbx, trunk, link = office
    link(name="Front desk", kind="receptionist")
    edge_factory(workers=1)
    registered(control_plane, trunk)
    target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.5")
    target.wait_for("registered", 10)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    wait_for(lambda: phone.ask("levels", "levels")["rx_speech_frames"] > 10, 20,
             "the receptionist's greeting")
    phone.send("dtmf", digits="215", method="rfc4733")
    transferred_to_sarah(control_plane, trunk, phone, target)


def test_the_caller_says_put_me_through_to_billing_and_is_transferred(
        control_plane, office, edge_factory, phone_factory, tmp_path):
    pbx, trunk, link = office
    request = render_speech("put me through to billing please", tmp_path / "billing.wav")
    link(name="Front desk", kind="receptionist")
    edge_factory(workers=1)
    registered(control_plane, trunk)
    target = phone_factory(pbx, "215", "pw215", "udp", "--answer-after", "0.5")
    target.wait_for("registered", 10)
    phone = caller(phone_factory, pbx)
    dial_the_ai(phone, pbx)
    phone.wait_for("answered", 10)
    greeting_finished(phone)
    phone.send("play", wav=str(request))
    transferred_to_sarah(control_plane, trunk, phone, target)
