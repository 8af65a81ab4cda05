"""What the edge reads from a registrar's answers (the bindings a 200 lists) and how it answers
the challenge of its bindings check (RFC 2617 / RFC 7616 digest, checked on their examples)."""

import pytest

from edge.sip.digest import Challenge, Unsupported, authorization
from edge.sip.invite import Binding, bindings


def test_every_contact_of_a_200_is_a_binding_with_its_expiry():
    message = ("SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n"
               "Contact: <sip:1000@10.0.0.5:5080;ob;sa-trunk=abc>;expires=298, "
               '"Desk, Front" <sip:1000@192.168.1.20:5060>;expires=120\r\n'
               "m: <sip:1000@192.168.1.21>\r\n\r\n")
    assert bindings(message) == (Binding("sip:1000@10.0.0.5:5080;ob;sa-trunk=abc", 298),
                                 Binding("sip:1000@192.168.1.20:5060", 120),
                                 Binding("sip:1000@192.168.1.21", None))
    assert bindings(message)[0].host_port == "10.0.0.5:5080"


def test_a_200_without_contacts_lists_nothing_we_can_judge():
    assert bindings("SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\n\r\n") is None


def test_the_rfc_2617_example_digest_is_reproduced():
    challenge = Challenge.parse('Digest realm="testrealm@host.com", qop="auth,auth-int", '
                                'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", '
                                'opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    name, value = authorization(challenge, "GET", "/dir/index.html", "Mufasa",
                                "Circle Of Life", cnonce="0a4f113b", nc=1)
    assert name == "Authorization"
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "qop=auth," in value and "nc=00000001" in value
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value


def test_the_rfc_7616_sha_256_example_digest_is_reproduced():
    challenge = Challenge.parse(
        'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    _, value = authorization(challenge, "GET", "/dir/index.html", "Mufasa", "Circle of Life",
                             cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc=1)
    assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in value


def test_a_proxy_challenge_is_answered_in_proxy_authorization_without_qop():
    challenge = Challenge.parse('Digest realm="pbx", nonce="n1"', proxy=True)
    name, value = authorization(challenge, "REGISTER", "sip:1000@pbx", "1000", "secret")
    assert name == "Proxy-Authorization" and "qop" not in value and "cnonce" not in value


@pytest.mark.parametrize("header", ['Basic realm="pbx"', 'Digest realm="pbx"',
                                    'Digest realm="pbx", nonce="n", algorithm=AKAv1-MD5',
                                    'Digest realm="pbx", nonce="n", qop="auth-int"'])
def test_challenges_we_cannot_answer_are_refused_not_guessed(header):
    with pytest.raises(Unsupported):
        authorization(Challenge.parse(header), "REGISTER", "sip:pbx", "1000", "secret")
