"""The receptionist's dialogue, driven without any I/O."""

from __future__ import annotations

import pytest

from agents.receptionist.answers import consent, find_reception, pick
from agents.receptionist.conversation import (DEFAULT_GREETING, Clear, Conversation,
                                                   Expecting, Hangup, Phase, Resolve, Say,
                                                   Transfer)
from smartalex.domain.directory import Candidate, DirectoryEntry, Resolution, Verdict

DIRECTORY = [
    DirectoryEntry("100", "Reception", ("front desk", "operator")),
    DirectoryEntry("215", "Sarah Murphy", ("billing",)),
    DirectoryEntry("216", "Sarah Connor", ("support",)),
    DirectoryEntry("2150", "Billing Fax"),
]
SARAH_M = Candidate("215", "Sarah Murphy", "sarah", 0.6)
SARAH_C = Candidate("216", "Sarah Connor", "sarah", 0.6)


def match(candidate: Candidate) -> Resolution:
    return Resolution(Verdict.MATCH, candidate, (candidate,))


AMBIGUOUS = Resolution(Verdict.AMBIGUOUS, None, (SARAH_M, SARAH_C))
NO_MATCH = Resolution(Verdict.NO_MATCH, None, ())


class Call:
    """A conversation, a clock, and what it has said and done so far."""

    def __init__(self, directory=DIRECTORY, **options):
        self.now = 0.0
        self.talk = Conversation(**options)
        self.talk.directory(list(directory))
        self.actions = list(self.talk.start(self.now))

    def do(self, method: str, *args) -> list:
        out = getattr(self.talk, method)(*args, self.now)
        self.actions += out
        return out

    def wait(self, seconds: float) -> list:
        out = []
        end = self.now + seconds
        while self.now < end:
            self.now = round(self.now + 0.1, 3)
            out += self.talk.tick(self.now)
        self.actions += out
        return out

    @property
    def said(self) -> list[str]:
        return [a.text for a in self.actions if isinstance(a, Say)]

    def finish_prompt(self) -> list:
        """The edge echoes the mark of the prompt that is playing."""
        last = [a for a in self.actions if isinstance(a, Say)][-1]
        return self.do("played", last.mark)

    def ask(self, text: str, answer: Resolution) -> list:
        """The caller says `text` and the edge resolves it to `answer`."""
        self.finish_prompt()
        out = self.do("heard", text)
        resolve = [a for a in out if isinstance(a, Resolve)]
        assert resolve, f"expected a resolve for {text!r}, got {out}"
        return self.do("resolved", resolve[0].text, answer)


def test_greets_with_the_default_or_the_agents_greeting():
    assert Call().said == [DEFAULT_GREETING]
    assert Call(greeting="Acme, good morning.").said == ["Acme, good morning."]


def test_there_is_one_default_greeting_the_api_shows_the_edge_sends_and_the_server_prerenders():
    from agents.receptionist.server import Services
    from smartalex.domain import agent

    assert DEFAULT_GREETING is agent.DEFAULT_GREETING
    assert Services.__dataclass_fields__["prompts_to_warm"].default == (agent.DEFAULT_GREETING,)
    receptionist = agent.Agent(tenant_id="t", agent_id="a", name="R",
                               kind=agent.AgentKind.RECEPTIONIST, stream_url=None,
                               greeting=None, created_at=None, updated_at=None)
    assert receptionist.spoken_greeting == DEFAULT_GREETING   # what the edge puts in `start`
    assert "extension" in DEFAULT_GREETING                    # it mentions the keypad


def test_match_is_announced_and_transferred_once_the_announcement_has_played():
    call = Call()
    call.finish_prompt()
    assert call.do("heard", "put me through to billing") == [Resolve("put me through to billing")]
    out = call.do("resolved", "put me through to billing", match(SARAH_M))
    assert [a.text for a in out if isinstance(a, Say)] == ["Transferring you to Sarah Murphy."]
    assert not any(isinstance(a, Transfer) for a in out)      # not before it has played
    assert call.finish_prompt() == [Transfer("215")]
    assert call.talk.phase is Phase.TRANSFERRING
    assert call.do("transfer_outcome", "accepted") == []
    assert call.do("transfer_outcome", "completed") == []
    assert call.talk.phase is Phase.ENDED
    assert not any(isinstance(a, Hangup) for a in call.actions)  # the edge hangs up


def test_the_announcement_is_not_interrupted_by_the_caller():
    call = Call()
    call.ask("billing", match(SARAH_M))
    assert call.do("speech_started") == []
    assert call.do("key", "5") == []
    assert call.finish_prompt() == [Transfer("215")]


def test_caller_talking_over_a_prompt_clears_it():
    call = Call()
    assert call.do("speech_started") == [Clear()]
    assert call.do("played", "prompt-1") == []   # the cleared prompt's mark is echoed: ignored
    assert call.do("heard", "billing") == [Resolve("billing")]


def test_ambiguous_asks_which_and_a_distinguishing_answer_picks_without_asking_the_edge():
    call = Call()
    call.ask("sarah", AMBIGUOUS)
    assert call.said[-1] == "Did you mean Sarah Murphy or Sarah Connor?"
    assert call.talk.expecting is Expecting.CHOICE
    call.finish_prompt()
    out = call.do("heard", "connor please")
    assert not any(isinstance(a, Resolve) for a in out)
    assert call.said[-1] == "Transferring you to Sarah Connor."
    assert call.finish_prompt() == [Transfer("216")]


def test_ambiguous_answered_by_position():
    call = Call()
    call.ask("sarah", AMBIGUOUS)
    call.finish_prompt()
    call.do("heard", "the second one")
    assert call.said[-1] == "Transferring you to Sarah Connor."


def test_ambiguous_answered_with_something_else_is_resolved_again():
    call = Call()
    call.ask("sarah", AMBIGUOUS)
    call.finish_prompt()
    assert call.do("heard", "billing") == [Resolve("billing")]


def test_no_match_asks_again():
    call = Call()
    call.ask("the gardener", NO_MATCH)
    assert call.said[-1] == "Sorry, I didn't catch that. Who would you like to speak to?"
    assert call.talk.phase is Phase.LISTENING


def test_two_misses_offer_reception_and_yes_transfers_there():
    call = Call()
    call.ask("the gardener", NO_MATCH)
    call.ask("the plumber", NO_MATCH)
    assert call.said[-1] == ("Sorry, I still didn't catch that. Shall I put you through to "
                             "Reception? Say yes, or press 1.")
    call.finish_prompt()
    call.do("heard", "yes please")
    assert call.said[-1] == "Transferring you to Reception."
    assert call.finish_prompt() == [Transfer("100")]


def test_pressing_1_accepts_the_offer():
    call = Call()
    call.ask("a", NO_MATCH)
    call.ask("b", NO_MATCH)
    call.finish_prompt()
    call.do("key", "1")
    assert call.finish_prompt() == [Transfer("100")]


def test_declining_the_offer_starts_over():
    call = Call()
    call.ask("a", NO_MATCH)
    call.ask("b", NO_MATCH)
    call.finish_prompt()
    call.do("heard", "no thanks")
    assert call.said[-1].startswith("OK. Who would you like to speak to?")
    assert call.talk.misses == 0
    call.ask("c", NO_MATCH)
    assert call.said[-1] == "Sorry, I didn't catch that. Who would you like to speak to?"


def test_a_name_instead_of_yes_is_a_request():
    call = Call()
    call.ask("a", NO_MATCH)
    call.ask("b", NO_MATCH)
    call.ask("sarah murphy please", match(SARAH_M))
    assert call.finish_prompt() == [Transfer("215")]


def test_a_third_miss_transfers_to_reception_without_asking_again():
    call = Call()
    call.ask("a", NO_MATCH)
    call.ask("b", NO_MATCH)
    call.ask("mumble", NO_MATCH)
    assert call.said[-1] == "Transferring you to Reception."
    assert call.finish_prompt() == [Transfer("100")]


def test_without_reception_keeps_asking_then_says_goodbye():
    call = Call(directory=DIRECTORY[1:])
    for i in range(4):
        call.ask(f"x{i}", NO_MATCH)
    assert call.said[-1].startswith("Sorry, I didn't catch that. Please say the name")
    call.ask("x5", NO_MATCH)
    assert call.said[-1] == "Sorry I couldn't help this time. Goodbye."
    assert call.finish_prompt() == [Hangup()]


def test_failed_transfer_apologises_and_keeps_the_call():
    call = Call()
    call.ask("billing", match(SARAH_M))
    call.finish_prompt()
    out = call.do("transfer_outcome", "failed")
    assert [a.text for a in out if isinstance(a, Say)] == [
        "Sorry, I couldn't put you through to Sarah Murphy. Who else can I help you reach?"]
    assert call.talk.phase is Phase.LISTENING
    assert not any(isinstance(a, Hangup) for a in call.actions)
    call.ask("support", match(SARAH_C))
    assert call.finish_prompt() == [Transfer("216")]


def test_a_transfer_with_no_outcome_counts_as_failed():
    call = Call()
    call.ask("billing", match(SARAH_M))
    call.finish_prompt()
    call.do("transfer_outcome", "accepted")
    call.wait(19.9)
    assert call.said[-1] == "Transferring you to Sarah Murphy."
    call.wait(0.2)
    assert call.said[-1].startswith("Sorry, I couldn't put you through to Sarah Murphy.")


def test_when_reception_itself_fails_it_is_not_offered_again():
    call = Call()
    call.ask("a", NO_MATCH)
    call.ask("b", NO_MATCH)
    call.finish_prompt()
    call.do("heard", "yes")
    call.finish_prompt()
    call.do("transfer_outcome", "failed")
    call.ask("c", NO_MATCH)
    call.ask("d", NO_MATCH)
    assert "Reception" not in call.said[-1]


def test_keyed_extension_is_resolved_when_complete():
    call = Call()
    assert call.do("key", "1") == [Clear()]       # a key stops the greeting too
    call.do("key", "0")
    assert call.do("key", "0") == [Resolve("100")]


def test_keyed_prefix_of_a_longer_extension_waits_for_the_pause():
    call = Call()
    for k in "215":
        call.do("key", k)
    assert call.wait(1.9) == []
    assert call.wait(0.2) == [Resolve("215")]


def test_stale_resolve_answers_are_ignored():
    call = Call()
    call.finish_prompt()
    call.do("heard", "billing")
    assert call.do("resolved", "something else", match(SARAH_C)) == []
    assert call.do("resolved", "billing", match(SARAH_M))[-1].text.endswith("Sarah Murphy.")


def test_no_answer_to_resolve_counts_as_a_miss():
    call = Call()
    call.finish_prompt()
    call.do("heard", "billing")
    out = call.wait(5.1)
    assert [a.text for a in out if isinstance(a, Say)] == [
        "Sorry, I didn't catch that. Who would you like to speak to?"]


def test_nothing_intelligible_is_a_miss_without_asking_the_edge():
    call = Call()
    call.finish_prompt()
    out = call.do("heard", "")
    assert not any(isinstance(a, Resolve) for a in out)
    assert call.talk.misses == 1


def test_silence_prompts_then_says_goodbye():
    call = Call()
    call.finish_prompt()
    call.wait(7.9)
    assert call.said == [DEFAULT_GREETING]
    call.wait(0.2)
    assert call.said[-1] == "Are you still there? Who would you like to speak to?"
    call.finish_prompt()
    call.wait(8.1)
    call.finish_prompt()
    call.wait(8.1)
    assert call.said[-1] == "Sorry I couldn't help this time. Goodbye."
    assert call.finish_prompt() == [Hangup()]


def test_no_silence_prompt_while_the_caller_is_talking_or_keying():
    call = Call()
    call.finish_prompt()
    call.do("speech_started")
    assert call.wait(10) == []
    call.do("key", "2")
    assert call.wait(1.5) == []


def test_nothing_happens_after_stop():
    call = Call()
    call.talk.stopped()
    assert call.do("heard", "billing") == []
    assert call.do("key", "1") == []
    assert call.wait(30) == []


@pytest.mark.parametrize("text,answer", [
    ("yes", True), ("yeah that would be great", True), ("please", True), ("ok", True),
    ("no", False), ("no thank you", False), ("nope", False),
    ("sarah please", None), ("billing", None), ("i don't know", None), ("yes no", None),
])
def test_consent(text, answer):
    assert consent(text) is answer


def test_pick_needs_a_word_only_one_candidate_has():
    assert pick("murphy", (SARAH_M, SARAH_C)) == SARAH_M
    assert pick("sarah", (SARAH_M, SARAH_C)) is None
    assert pick("two one six", (SARAH_M, SARAH_C)) is None
    assert pick("216", (SARAH_M, SARAH_C)) == SARAH_C
    assert pick("the first", (SARAH_M, SARAH_C)) == SARAH_M


def test_reception_is_found_by_name_or_alias():
    assert find_reception(DIRECTORY).extension == "100"
    desk = DirectoryEntry("9", "Mary Smith", ("Front Desk",))
    assert find_reception([DIRECTORY[1], desk]) == desk
    assert find_reception(DIRECTORY[1:]) is None
