"""Who may start anything with the edge (edge/inbound_policy.py): the PBX of a held trunk."""

from edge.inbound_policy import (
    ACCEPT,
    CONTACT_PARAM,
    DROP,
    FORBIDDEN,
    NOT_FOUND,
    SOURCE_BURST,
    InboundPolicy,
    PbxAddresses,
    contact_token,
    parse_source,
    token_of,
)

PBX = "203.0.113.10"
OUTSIDER = "198.51.100.7"


def policy_with_trunk(extra=(), **kwargs) -> InboundPolicy:
    policy = InboundPolicy(**kwargs)
    policy.hold("slot-1", "1000", PbxAddresses.of([PBX], extra))
    return policy


def test_the_pbx_may_call_the_extension_it_registered():
    assert policy_with_trunk().verdict("INVITE", PBX, "1000", now=0) == ACCEPT


def test_an_invite_from_anyone_else_is_forbidden():
    assert policy_with_trunk().verdict("INVITE", OUTSIDER, "1000", now=0) == FORBIDDEN


def test_every_standalone_method_from_outside_is_forbidden():
    policy = policy_with_trunk()
    for method in ("OPTIONS", "MESSAGE", "SUBSCRIBE", "NOTIFY", "INFO", "PUBLISH", "REGISTER"):
        assert policy.verdict(method, OUTSIDER, "1000", now=0) == FORBIDDEN, method


def test_the_pbx_calling_another_extension_gets_404():
    assert policy_with_trunk().verdict("INVITE", PBX, "1001", now=0) == NOT_FOUND


def test_an_invite_naming_no_extension_is_refused_even_from_the_pbx():
    assert policy_with_trunk().verdict("INVITE", PBX, "", now=0) == NOT_FOUND


def test_the_pbx_may_ping_with_options_without_a_user():
    assert policy_with_trunk().verdict("OPTIONS", PBX, "", now=0) == ACCEPT


def test_refer_outside_a_dialog_is_refused_even_from_the_pbx():
    assert policy_with_trunk().verdict("REFER", PBX, "1000", now=0) == FORBIDDEN


def test_extra_pbx_networks_are_accepted_and_nothing_beyond_them():
    policy = policy_with_trunk(extra=["192.0.2.0/28"])
    assert policy.verdict("INVITE", "192.0.2.14", "1000", now=0) == ACCEPT
    assert policy.verdict("INVITE", "192.0.2.16", "1000", now=0) == FORBIDDEN


def test_an_address_that_answered_the_register_becomes_the_pbx():
    addresses = PbxAddresses.of([])
    policy = InboundPolicy()
    policy.hold("slot-1", "1000", addresses)
    assert policy.verdict("INVITE", PBX, "1000", now=0) == FORBIDDEN
    addresses.learn(parse_source(f"{PBX}:5060"))
    assert policy.verdict("INVITE", PBX, "1000", now=0) == ACCEPT


def test_a_forgotten_trunk_lets_nothing_in_any_more():
    policy = policy_with_trunk()
    policy.forget("slot-1")
    assert policy.verdict("INVITE", PBX, "1000", now=0) == FORBIDDEN


def test_one_trunks_pbx_cannot_call_another_trunks_extension():
    policy = policy_with_trunk()
    policy.hold("slot-2", "2000", PbxAddresses.of(["203.0.113.99"]))
    assert policy.verdict("INVITE", PBX, "2000", now=0) == NOT_FOUND
    assert policy.is_pbx("slot-1", parse_source(PBX))
    assert not policy.is_pbx("slot-2", parse_source(PBX))


def test_a_flood_from_one_outsider_is_answered_a_burst_then_dropped():
    policy = policy_with_trunk()
    verdicts = [policy.verdict("INVITE", OUTSIDER, "1000", now=0) for _ in range(50)]
    assert verdicts[:int(SOURCE_BURST)] == [FORBIDDEN] * int(SOURCE_BURST)
    assert set(verdicts[int(SOURCE_BURST):]) == {DROP}
    assert (policy.refused, policy.dropped) == (SOURCE_BURST, 50 - SOURCE_BURST)
    # one more answer per second afterwards
    assert policy.verdict("INVITE", OUTSIDER, "1000", now=1.0) == FORBIDDEN
    assert policy.verdict("INVITE", OUTSIDER, "1000", now=1.0) == DROP


def test_a_flood_does_not_silence_the_pbxs_own_refusals():
    policy = policy_with_trunk()
    for _ in range(500):
        policy.verdict("INVITE", OUTSIDER, "1000", now=0)
    assert policy.verdict("REFER", PBX, "1000", now=0) == FORBIDDEN


def test_a_spray_of_addresses_is_capped_overall():
    policy = policy_with_trunk()
    verdicts = [policy.verdict("OPTIONS", f"198.51.{i // 250}.{i % 250}", "", now=0)
                for i in range(400)]
    assert verdicts.count(FORBIDDEN) == 100 and verdicts.count(DROP) == 300


def test_refusals_are_logged_at_most_once_a_minute_per_source():
    logged = []
    policy = policy_with_trunk(on_refusal=logged.append)
    for second in range(0, 120, 5):
        policy.verdict("INVITE", OUTSIDER, "1000", now=second)
    assert len(logged) == 2 and logged[0].source == OUTSIDER and logged[0].method == "INVITE"


def test_sources_parse_as_pjsip_prints_them():
    assert str(parse_source("203.0.113.10:5060")) == PBX
    assert str(parse_source("[2001:db8::1]:5060")) == "2001:db8::1"
    assert str(parse_source("2001:db8::1")) == "2001:db8::1"
    assert parse_source("") is None and parse_source("not-an-ip:5060") is None


# --- which held trunk a request is for (many trunks per worker) ---
def two_trunks_with_one_extension() -> InboundPolicy:
    """Two PBXs, each with its extension 1000 registered through the same worker."""
    policy = InboundPolicy()
    policy.hold("slot-a", "1000", PbxAddresses.of(["192.0.2.10"]), contact_token("trk_a"))
    policy.hold("slot-b", "1000", PbxAddresses.of(["198.51.100.7"]), contact_token("trk_b"))
    return policy


def test_the_contact_token_in_the_request_uri_names_the_trunk():
    policy = two_trunks_with_one_extension()
    invite = (f"INVITE sip:1000@203.0.113.1:5060;{CONTACT_PARAM}={contact_token('trk_b')};"
              "transport=udp SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.7\r\n\r\n")
    assert token_of(invite) == contact_token("trk_b")
    assert policy.owner(token_of(invite), "198.51.100.7:5060", "1000") == "slot-b"


def test_without_a_token_the_pbx_that_sent_it_and_the_extension_name_the_trunk():
    policy = two_trunks_with_one_extension()
    invite = "INVITE sip:1000@pbx.example.com SIP/2.0\r\n\r\n"
    assert token_of(invite) is None
    assert policy.owner(None, "192.0.2.10:5060", "1000") == "slot-a"
    assert policy.owner(None, "198.51.100.7:5071", "1000") == "slot-b"
    assert policy.owner(None, "[2001:db8::1]:5060", "1000") is None
    assert policy.owner(None, "192.0.2.10:5060", "2000") is None


def test_a_token_nobody_holds_falls_back_to_the_source():
    policy = two_trunks_with_one_extension()
    assert policy.owner(contact_token("trk_gone"), "192.0.2.10:5060", "1000") == "slot-a"


def test_the_newest_generation_of_a_trunk_owns_its_token():
    policy = InboundPolicy()
    addresses = PbxAddresses.of(["192.0.2.10"])
    policy.hold("slot-old", "1000", addresses, contact_token("trk_a"))
    policy.hold("slot-new", "1000", addresses, contact_token("trk_a"))
    assert policy.owner(contact_token("trk_a"), "192.0.2.10:5060", "1000") == "slot-new"
    policy.forget("slot-new")
    assert policy.owner(contact_token("trk_a"), "192.0.2.10:5060", "1000") == "slot-old"


def test_ambiguous_requests_are_left_to_pjsua():
    """Two trunks on one PBX address with one extension cannot both be registered (the
    registration claim), but extra PBX networks may overlap: no guess then."""
    policy = InboundPolicy()
    policy.hold("slot-a", "1000", PbxAddresses.of([], ["192.0.2.0/24"]), contact_token("a"))
    policy.hold("slot-b", "1000", PbxAddresses.of([], ["192.0.2.0/25"]), contact_token("b"))
    assert policy.owner(None, "192.0.2.9:5060", "1000") is None


def test_contact_tokens_are_stable_short_and_distinct():
    assert contact_token("trk_a") == contact_token("trk_a")
    assert contact_token("trk_a") != contact_token("trk_b")
    assert len(contact_token("trk_a")) == 12 and "trk" not in contact_token("trk_a")
