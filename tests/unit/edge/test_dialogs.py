"""The dialog the supervisor keeps for each answered call, and the BYE it sends from it when the
call's worker died (edge/dialogs.py): RFC 3261 §12.2.1.1 from the INVITE and our 2xx."""

from __future__ import annotations

import socket
import threading

import pytest

from edge.dialogs import BYE_CSEQ, Dialog, send_bye

INVITE = (
    "INVITE sip:1000@127.0.0.1:5070;sa-trunk=abc SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc\r\n"
    "Record-Route: <sip:10.0.0.5;lr>, <sip:10.0.0.6;lr>\r\n"
    'From: "Caller" <sip:300@pbx.example.com>;tag=caller-tag\r\n'
    "To: <sip:1000@pbx.example.com>\r\n"
    "Call-ID: call-123@pbx\r\n"
    "CSeq: 20 INVITE\r\n"
    "Contact: <sip:300@192.0.2.7:5062;transport=udp>\r\n"
    "Content-Length: 0\r\n\r\n")
OK = ("SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc\r\n"
      'From: "Caller" <sip:300@pbx.example.com>;tag=caller-tag\r\n'
      "To: <sip:1000@pbx.example.com>;tag=our-tag\r\n"
      "Call-ID: call-123@pbx\r\nCSeq: 20 INVITE\r\n\r\n")


def test_the_dialog_takes_both_tags_the_target_and_the_route_set():
    dialog = Dialog.answered(INVITE, OK, "udp")
    assert dialog.call_id == "call-123@pbx"
    assert dialog.local == "<sip:1000@pbx.example.com>;tag=our-tag"
    assert dialog.remote == '"Caller" <sip:300@pbx.example.com>;tag=caller-tag'
    assert dialog.target == "sip:300@192.0.2.7:5062;transport=udp"
    assert dialog.routes == ("<sip:10.0.0.5;lr>", "<sip:10.0.0.6;lr>")
    assert dialog.next_hop() == ("10.0.0.5", 5060)  # the first route, loose routing


def test_without_a_route_set_the_bye_goes_to_the_remote_target():
    dialog = Dialog.answered(INVITE.replace("Record-Route: <sip:10.0.0.5;lr>, "
                                            "<sip:10.0.0.6;lr>\r\n", ""), OK, "udp")
    assert dialog.routes == () and dialog.next_hop() == ("192.0.2.7", 5062)


@pytest.mark.parametrize("answer", [OK.replace(";tag=our-tag", ""), ""])
def test_no_dialog_without_our_tag(answer):
    assert Dialog.answered(INVITE, answer, "udp") is None


def test_the_bye_is_in_dialog_with_a_cseq_above_any_we_sent():
    bye = Dialog.answered(INVITE, OK, "udp").bye("192.0.2.1", 40000, branch="z9hG4bKx")
    lines = bye.split("\r\n")
    assert lines[0] == "BYE sip:300@192.0.2.7:5062;transport=udp SIP/2.0"
    assert "Via: SIP/2.0/UDP 192.0.2.1:40000;rport;branch=z9hG4bKx" in lines
    assert lines.index("Route: <sip:10.0.0.5;lr>") < lines.index("Route: <sip:10.0.0.6;lr>")
    assert "From: <sip:1000@pbx.example.com>;tag=our-tag" in lines
    assert 'To: "Caller" <sip:300@pbx.example.com>;tag=caller-tag' in lines
    assert f"CSeq: {BYE_CSEQ} BYE" in lines and BYE_CSEQ > 2 ** 15
    assert bye.endswith("Content-Length: 0\r\n\r\n")


def test_the_bye_is_sent_until_answered_and_its_answer_returned():
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    port = peer.getsockname()[1]
    received = []

    def answer_the_second():
        for _ in range(2):
            data, source = peer.recvfrom(65536)
            received.append(data.decode())
        peer.sendto(f"SIP/2.0 200 OK\r\nCSeq: {BYE_CSEQ} BYE\r\n\r\n".encode(), source)

    threading.Thread(target=answer_the_second, daemon=True).start()
    dialog = Dialog("c@x", "<sip:1000@x>;tag=a", "<sip:300@x>;tag=b",
                    f"sip:300@127.0.0.1:{port}", (), "udp")
    assert send_bye(dialog, bind="127.0.0.1", timeout=5) == 200
    assert len(received) == 2 and received[0] == received[1]  # the first was "lost"
    peer.close()
