"""Digest answers go only to the registrar, for the realm it first used (edge/challenges.py)."""

from edge.challenges import ChallengePolicy, challenge_of
from edge.inbound_policy import PbxAddresses

REGISTRAR = "203.0.113.10:5060"


def challenge(method: str = "REGISTER", realm: str = "pbx.example.com", code: int = 401,
              extra: str = "") -> str:
    header = "WWW-Authenticate" if code == 401 else "Proxy-Authenticate"
    return (f"SIP/2.0 {code} Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
            f"CSeq: 2 {method}\r\nCall-ID: abc\r\n"
            f'{header}: Digest realm="{realm}", nonce="n0nce", algorithm=MD5\r\n{extra}'
            "Content-Length: 0\r\n\r\n")


def policy() -> ChallengePolicy:
    return ChallengePolicy(PbxAddresses.of(["203.0.113.10"]))


def test_the_first_register_challenge_pins_the_realm():
    rule = policy()
    assert rule.answer(REGISTRAR, challenge())
    assert rule.realm == "pbx.example.com"
    assert rule.answer(REGISTRAR, challenge())


def test_another_realm_later_is_not_answered():
    rule = policy()
    rule.answer(REGISTRAR, challenge())
    assert not rule.answer(REGISTRAR, challenge(realm="evil"))
    assert "realm 'evil'" in rule.refused[-1]


def test_a_challenge_from_anywhere_but_the_registrar_is_not_answered():
    rule = policy()
    assert not rule.answer("127.0.0.5:5060", challenge())
    assert rule.realm is None  # nothing learned from it
    assert "not the registrar" in rule.refused[-1]


def test_a_challenged_bye_is_never_answered_even_from_the_registrar_with_its_realm():
    rule = policy()
    rule.answer(REGISTRAR, challenge())
    assert not rule.answer(REGISTRAR, challenge("BYE", code=407))
    assert not rule.answer(REGISTRAR, challenge("INVITE", code=407))


def test_a_challenged_refer_is_answered_for_the_pinned_realm_only():
    rule = policy()
    assert not rule.answer(REGISTRAR, challenge("REFER", code=407))  # realm not known yet
    rule.answer(REGISTRAR, challenge())
    assert rule.answer(REGISTRAR, challenge("REFER", code=407))
    assert not rule.answer(REGISTRAR, challenge("REFER", realm="other", code=407))


def test_two_realms_in_one_challenge_are_not_answered():
    rule = policy()
    second = 'WWW-Authenticate: Digest realm="evil", nonce="x"\r\n'
    assert not rule.answer(REGISTRAR, challenge(extra=second))


def test_a_challenge_without_a_realm_is_not_answered():
    rule = policy()
    text = challenge().replace('realm="pbx.example.com", ', "")
    assert not rule.answer(REGISTRAR, text)


def test_realms_are_read_quoted_or_bare_from_either_header():
    assert challenge_of(challenge(realm="a b")) == ("REGISTER", ["a b"])
    bare = challenge().replace('"pbx.example.com"', "asterisk")
    assert challenge_of(bare) == ("REGISTER", ["asterisk"])
    assert challenge_of(challenge("BYE", realm="x", code=407)) == ("BYE", ["x"])
