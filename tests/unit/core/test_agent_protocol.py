"""The agent protocol's one definition (smartalex/domain/agent_protocol.py): what goes on the wire
is Twilio's shape, every message reads back as itself, and bad frames say what is wrong."""

from __future__ import annotations

import json

import pytest

from smartalex.domain import agent_protocol as p
from smartalex.domain.directory import Candidate, DirectoryEntry, Resolution, Verdict

SARAH = Candidate("215", "Sarah Murphy", "billing", 0.91234)


def test_the_edges_messages_carry_twilios_envelope_with_numbers_as_strings():
    envelope = p.Envelope("MZ1")
    assert envelope.wrap(p.Connected()) == {"event": "connected", "protocol": "Call",
                                             "version": "1.0.0"}
    start = envelope.wrap(p.Start("MZ1", "acme", "CA1", {"from_number": "300"}))
    assert start == {"event": "start", "sequenceNumber": "1", "streamSid": "MZ1",
                     "start": {"streamSid": "MZ1", "accountSid": "acme", "callSid": "CA1",
                               "tracks": ["inbound"],
                               "mediaFormat": {"encoding": "audio/x-mulaw",
                                               "sampleRate": 8000, "channels": 1},
                               "customParameters": {"from_number": "300"}}}
    media = envelope.wrap(p.CallerMedia(3, 40, b"\xff\x7f"))
    assert media == {"event": "media", "sequenceNumber": "2", "streamSid": "MZ1",
                     "media": {"track": "inbound", "chunk": "3", "timestamp": "40",
                               "payload": "/38="}}
    assert envelope.wrap(p.Stop("acme", "CA1"))["stop"] == {"accountSid": "acme",
                                                            "callSid": "CA1"}
    assert envelope.wrap(p.Dtmf("5"))["dtmf"] == {"track": "inbound_track", "digit": "5"}


def test_an_agents_messages_are_twilios_where_twilio_has_them():
    assert p.encode(p.Media(b"\xff", "MZ1")) == {"event": "media", "streamSid": "MZ1",
                                                  "media": {"payload": "/w=="}}
    assert p.encode(p.Clear("MZ1")) == {"event": "clear", "streamSid": "MZ1"}
    assert p.encode(p.Mark("done", "MZ1")) == {"event": "mark", "streamSid": "MZ1",
                                               "mark": {"name": "done"}}
    assert p.encode(p.Transfer("billing")) == {"event": "transfer",
                                               "transfer": {"target": "billing"}}
    assert p.encode(p.Hangup()) == {"event": "hangup"}
    assert p.encode(p.Resolve("sarah")) == {"event": "resolve", "resolve": {"text": "sarah"}}
    assert p.encode(p.DirectoryRequest()) == {"event": "directory"}


@pytest.mark.parametrize("message", [
    p.Media(b"\x00\x01\xff", "MZ1"), p.Mark("m-1", "MZ1"), p.Clear("MZ1"), p.Transfer("215"),
    p.Hangup(), p.Resolve("put me through to billing"), p.DirectoryRequest(),
    p.Resolve("sarah murphy", (("sarah chen", 0.25), ("sarah", 0.125)))],
    ids=lambda m: m.event + ("+alternatives" if getattr(m, "alternatives", ()) else ""))
def test_every_agent_message_reads_back_as_itself(message):
    assert p.parse_agent_message(p.dumps(message)) == message


@pytest.mark.parametrize("message", [
    p.Connected(), p.Start("MZ1", "acme", "CA1", {"greeting": "Hi"}),
    p.CallerMedia(1, 0, b"\xff" * 160), p.Dtmf("#"), p.MarkPlayed("m-1"),
    p.TransferOutcome("billing", p.TransferStatus.AMBIGUOUS, candidates=(SARAH,)),
    p.TransferOutcome("215", p.TransferStatus.COMPLETED, "215", "Sarah Murphy", 200, "OK"),
    p.Resolved("billing", Resolution(Verdict.MATCH, SARAH, (SARAH,))),
    p.Directory((DirectoryEntry("215", "Sarah Murphy", ("billing",)),)),
    p.Stop("acme", "CA1")], ids=lambda m: m.event)
def test_every_edge_message_reads_back_as_itself(message):
    read = p.parse_edge_message(json.dumps(p.Envelope("MZ1").wrap(message)))
    if isinstance(message, (p.TransferOutcome, p.Resolved)):  # confidence goes out rounded
        assert p.encode(read) == p.encode(message)
    else:
        assert read == message


def test_unknown_events_parse_to_nothing_as_twilio_ignores_them():
    assert p.parse_agent_message('{"event": "something-new", "x": 1}') is None
    assert p.parse_edge_message('{"event": "something-new"}') is None


@pytest.mark.parametrize("raw, says", [
    ("not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"event": "media"}', "a media event needs a 'media' object"),
    ('{"event": "media", "media": {"payload": "%%%"}}', "media.payload must be base64"),
    ('{"event": "media", "media": {"payload": null}}', "media.payload must be a string"),
    ('{"event": "transfer", "transfer": {}}', "transfer.target must be a string"),
    ('{"event": "transfer", "transfer": {"target": ""}}', "transfer.target must not be empty"),
    ('{"event": "mark", "mark": {"name": ["x"]}}', "mark.name must be a string"),
    ('{"event": "resolve", "resolve": "sarah"}', "a resolve event needs a 'resolve' object"),
    ('{"event": "resolve", "resolve": {"text": "x", "alternatives": "y"}}',
     "resolve.alternatives must be a list of at most 20"),
    ('{"event": "resolve", "resolve": {"text": "x", "alternatives": [{"text": "y"}] }}'
     .replace('[{"text": "y"}]', ", ".join(['{"text": "y"}'] * 21).join("[]")),
     "resolve.alternatives must be a list of at most 20"),
    ('{"event": "resolve", "resolve": {"text": "x", "alternatives": ["y"]}}',
     "each of resolve.alternatives must be {text, weight}"),
    ('{"event": "resolve", "resolve": {"text": "x", "alternatives": [{"text": "y", '
     '"weight": 2}]}}', "weight must be a number from 0 to 1"),
    ('{"event": "resolve", "resolve": {"text": "x", "alternatives": [{"text": 5, '
     '"weight": "0.5"}]}}', "weight must be a number from 0 to 1"),
])
def test_a_malformed_agent_frame_says_what_is_wrong(raw, says):
    with pytest.raises(p.ProtocolError, match=says):
        p.parse_agent_message(raw)


@pytest.mark.parametrize("raw, says", [
    ('{"event": "transfer", "transfer": {"status": "done"}}', "transfer.status must be one of"),
    ('{"event": "resolved", "resolved": {"text": "x"}}', "resolved.verdict must be one of"),
    ('{"event": "directory", "directory": {"entries": [{"aliases": []}]}}',
     "each directory entry needs extension and display_name"),
    ('{"event": "dtmf", "dtmf": {}}', "dtmf.digit must be a string"),
])
def test_a_malformed_edge_frame_says_what_is_wrong(raw, says):
    with pytest.raises(p.ProtocolError, match=says):
        p.parse_edge_message(raw)


def test_only_accepted_is_not_a_final_transfer_outcome():
    assert not p.TransferOutcome("215", p.TransferStatus.ACCEPTED).final
    assert all(p.TransferOutcome("215", s).final for s in p.TransferStatus
               if s is not p.TransferStatus.ACCEPTED)


def test_directory_entries_read_as_text_whatever_json_type_the_extension_had():
    entries = p.parse_edge_message(json.dumps({"event": "directory", "directory": {"entries": [
        {"extension": "215", "display_name": "Sarah Murphy", "aliases": ["billing"]},
        {"extension": 100, "display_name": "Reception"}]}})).entries
    assert [(e.extension, e.aliases) for e in entries] == [("215", ("billing",)), ("100", ())]
