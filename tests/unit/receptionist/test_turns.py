"""Turn-taking: when the caller has finished and what they said (turns.Turns), driven with
synthetic speech on a virtual call clock (20 ms frames), the recogniser played by a script."""

from __future__ import annotations

import numpy as np

from agents.receptionist.audio import ulaw_to_pcm
from agents.receptionist.bench import DEMO_DIRECTORY, Request, conversation_for
from agents.receptionist.callers import LEAD_SECONDS, render
from agents.receptionist.stt import Heard
from agents.receptionist.turns import SETTLE_MS, Answer, Turns, settles
from agents.receptionist.vad import PAUSE_MS, Endpointer, SpeechStarted
from smartalex.domain.matching import Matcher

FRAME = 160    # 20 ms at 8 kHz


def words(text: str, lead: bool = True) -> np.ndarray:
    """`text` said over a phone line, cut at its last word (with the line's noise before it
    when `lead`, so the endpointer learns the noise floor)."""
    rendered = render(text)
    start = 0 if lead else int(LEAD_SECONDS * 8000)
    return ulaw_to_pcm(rendered.ulaw)[start:int(rendered.speech_end * 8000)]


def quiet(ms: int) -> np.ndarray:
    return np.zeros(ms * 8, np.int16)


class Call:
    """Turns fed 20 ms at a time, with a recogniser that takes `decode_ms` of call time per
    decode and hears `texts` in turn (None: the decode failed)."""

    def __init__(self, texts, settle=lambda said: True, decode_ms: int = 100, **options):
        self.turns = Turns(Endpointer(), settle, **options)
        self.texts = list(texts)
        self.decode_ms = decode_ms
        self.now = 0
        self.running = None                # (done at ms, job)
        self.decodes: list[tuple[int, int, bool]] = []   # (started at ms, samples, final)
        self.answers: list[tuple[int, Answer]] = []

    def play(self, audio: np.ndarray) -> None:
        for start in range(0, audio.size, FRAME):
            self.now += 20
            out = self.turns.feed(audio[start:start + FRAME])
            self.answers += [(self.now, e) for e in out if isinstance(e, Answer)]
            if self.running is not None and self.running[0] <= self.now:
                job, self.running = self.running[1], None
                said = self.texts.pop(0)
                self.answers += [(self.now, a) for a in
                                 self.turns.decoded(job, None if said is None else Heard(said))]
            if self.running is None and (job := self.turns.next_job()) is not None:
                self.running = (self.now + self.decode_ms, job)
                self.decodes.append((self.now, job.audio.size, job.final))


def test_a_request_that_settles_is_answered_after_its_quiet_from_the_pause_decode():
    call = Call(["put me through to billing"])
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    [(started, _, final)] = call.decodes          # one decode, of the Pause
    [(at, answer)] = call.answers
    assert not final and answer == Answer(Heard("put me through to billing"), early=True)
    assert at - started == SETTLE_MS - PAUSE_MS    # quiet long enough; not a frame later
    assert not call.turns.in_speech                # the utterance ended at its Pause


def test_a_decode_slower_than_the_quiet_answers_as_soon_as_it_is_done():
    call = Call(["put me through to billing"], decode_ms=240)
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    [(started, _, _)] = call.decodes
    [(at, answer)] = call.answers
    assert answer.early and at - started == 240


def test_a_request_that_does_not_settle_is_decoded_again_at_300_ms_and_waits_for_the_end():
    call = Call(["put me through", "put me through to billing"], settle=lambda said: False)
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    (first, _, final), (second, _, final_again) = call.decodes   # the end decodes nothing
    [(at, answer)] = call.answers
    assert not final and not final_again and second - first == 300 - PAUSE_MS
    assert answer == Answer(Heard("put me through to billing"))   # the 300 ms decode
    assert at - first == 700 - PAUSE_MS           # the end of the utterance


def test_a_request_settled_only_by_its_second_decode_is_answered_when_that_is_done():
    call = Call(["put me through to", "put me through to billing"],
                settle=lambda said: said.text.endswith("billing"))
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    (_, _, _), (second, _, _) = call.decodes
    [(at, answer)] = call.answers
    assert answer == Answer(Heard("put me through to billing"), early=True)
    assert at - second == 100 and not call.turns.in_speech


def test_a_caller_who_goes_on_after_a_pause_is_answered_on_the_whole_request():
    call = Call(["sarah", "sarah murphy please"])
    call.play(words("sarah"))
    call.play(quiet(PAUSE_MS + 60))                # a Pause, but less quiet than SETTLE_MS
    call.play(words("murphy please", lead=False))
    call.play(quiet(1500))
    (_, first, _), (_, second, _) = call.decodes
    assert second > first
    assert [answer for _, answer in call.answers] == [
        Answer(Heard("sarah murphy please"), early=True)]


def test_an_utterance_that_ends_while_its_300_ms_pause_is_decoded_waits_for_that_decode():
    call = Call(["put me through", "put me through to billing"], settle=lambda said: False,
                decode_ms=300)
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    (first, _, _), (second, _, _) = call.decodes
    [(at, answer)] = call.answers
    assert answer == Answer(Heard("put me through to billing")) and at - second == 300
    assert at - first > 700 - PAUSE_MS             # after the end of the utterance


def test_the_first_pause_decode_never_answers_at_the_end_of_the_utterance():
    """Decodes far behind the call (or the call's audio faster than real time): the first
    Pause's audio has repeated quiet, so the utterance's own audio is decoded for the end."""
    call = Call(["put me through", "put me through to billing"], settle=lambda said: False,
                decode_ms=600)
    call.play(words("put me through to billing"))
    call.play(quiet(2000))
    assert [final for _, _, final in call.decodes] == [False, True]
    assert [answer for _, answer in call.answers] == [Answer(Heard("put me through to billing"))]


def test_failed_decodes_are_decoded_again_at_the_end_and_then_heard_as_nothing():
    call = Call([None, None, None], settle=lambda said: False)
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    assert [final for _, _, final in call.decodes] == [False, False, True]
    assert [answer for _, answer in call.answers] == [Answer(Heard(""))]


def test_a_pause_is_not_decoded_once_the_caller_has_gone_on():
    turns = Turns(Endpointer(), lambda said: True)
    turns.feed(words("sarah"))
    turns.feed(quiet(PAUSE_MS + 60))
    assert turns.has_jobs
    turns.feed(words("murphy", lead=False))          # voice again before its decode began
    assert turns.next_job() is None


def test_of_pauses_waiting_for_a_decode_only_the_latest_is_decoded():
    turns = Turns(Endpointer(), lambda said: True)
    for audio in (words("sarah"), quiet(PAUSE_MS + 60), words("murphy", lead=False),
                  quiet(PAUSE_MS + 20)):
        turns.feed(audio)
    job = turns.next_job()                          # the second Pause: "sarah ... murphy"
    assert job is not None and not job.final
    assert job.audio.size > words("sarah").size + words("murphy", lead=False).size
    assert turns.next_job() is None


def test_too_little_voice_is_heard_as_nothing_without_a_decode():
    call = Call([], min_voiced_ms=10_000)
    call.play(words("put me through to billing"))
    call.play(quiet(1500))
    assert call.decodes == []
    assert [answer for _, answer in call.answers] == [Answer(Heard(""))]


def test_keypad_tones_forget_the_utterance_and_its_pause():
    turns = Turns(Endpointer(), lambda said: True)
    turns.feed(words("put me through to billing"))
    turns.feed(quiet(PAUSE_MS + 20))
    job = turns.next_job()
    assert job is not None
    turns.reset()                                   # it was keypad tones
    assert turns.decoded(job, Heard("put me through to billing")) == []
    assert turns.feed(quiet(1500)) == [] and turns.next_job() is None


def test_speech_starting_is_reported_at_once():
    turns = Turns(Endpointer(), lambda said: True)
    events = turns.feed(words("put me through to billing"))
    assert events == [SpeechStarted()]


def offered(**request) -> tuple:
    conversation = conversation_for(Request("", None, "", **request), DEMO_DIRECTORY)
    return conversation, Matcher(DEMO_DIRECTORY)


def test_one_directory_match_settles_a_request_and_a_miss_or_nothing_does_not():
    conversation, matcher = offered()
    assert settles(conversation, matcher, Heard("billing please", raw="billing please"))
    assert not settles(conversation, matcher, Heard("linda please", raw="linda please"))
    assert not settles(conversation, matcher, Heard("", raw=""))
    assert not settles(conversation, None, Heard("billing please"))   # no directory yet


def test_a_yes_or_no_to_the_reception_offer_settles_it():
    conversation, matcher = offered(context="consent")
    assert settles(conversation, matcher, Heard("yes please", raw="yes please"))
    assert settles(conversation, matcher, Heard("no thanks", raw="no thanks"))
