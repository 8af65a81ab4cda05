"""pjsua's log never carries credentials; untrusted INVITEs cannot pick who the caller is."""

from edge.sip.invite import parse_invite
from edge.sip.log import redact

REGISTER = (
    "TX 612 bytes Request msg REGISTER/cseq=2 to UDP 203.0.113.10:5060:\r\n"
    "REGISTER sip:pbx.example.com SIP/2.0\r\n"
    "Authorization: Digest username=\"1000\", realm=\"pbx\", nonce=\"abc\", "
    "uri=\"sip:pbx.example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
    "proxy-authorization:   Digest response=\"feedface\"\r\n"
    "Content-Length:  0\r\n")


def test_credentials_are_removed_from_logged_messages():
    text = redact(REGISTER)
    assert "0123456789abcdef" not in text and "feedface" not in text
    assert 'response="' not in text.replace('response="<redacted>"', "")
    assert "Authorization: <redacted>" in text and "proxy-authorization:   <redacted>" in text
    assert "REGISTER sip:pbx.example.com SIP/2.0" in text  # the rest stays readable


def test_a_response_quoted_anywhere_else_is_removed_too():
    assert redact('auth: response="abcd" stale') == 'auth: response="<redacted>" stale'


INVITE = (
    "INVITE sip:1000@192.0.2.1:5060 SIP/2.0\r\n"
    'From: "Caller" <sip:300@pbx>;tag=1\r\n'
    "To: <sip:1000@pbx>\r\n"
    'P-Asserted-Identity: "Your Bank" <sip:+35318887777@pbx>\r\n'
    "Diversion: <sip:+353871234567@pbx>;reason=unconditional\r\n"
    "Call-ID: x\r\n\r\n")


def test_a_trusted_invite_uses_the_asserted_identity_and_diversion():
    info = parse_invite(INVITE, "1000", trusted=True)
    assert (info.caller.number, info.caller.name) == ("+35318887777", "Your Bank")
    assert info.dialled == "+353871234567"


def test_an_untrusted_invite_is_read_from_its_own_from_and_request_uri():
    info = parse_invite(INVITE, "1000", trusted=False)
    assert (info.caller.number, info.caller.name) == ("300", "Caller")
    assert info.dialled is None and "+353871234567" not in info.candidates
