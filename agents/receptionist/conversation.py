"""The receptionist's dialogue: a small state machine with no I/O.

The server feeds it what happens on the call (speech heard, keys pressed, prompts played, the
edge's answers, the clock) and carries out the actions it returns: say a prompt, clear queued
audio, ask the edge to resolve a request, transfer, hang up. Tests drive it directly.

The dialogue:
- Greet, then listen for a name, department or extension (said or keyed).
- Ask the edge to `resolve` what was heard (or keyed). A match: "Transferring you to X.", and
  once that has played (its mark comes back), `transfer` to X's extension. Ambiguous: "Did you
  mean A or B?"; an answer naming one of them picks it here, anything else is resolved again.
  No match: "Sorry, I didn't catch that. ...".
- After two misses in a row, offer the reception/operator entry ("say yes or press 1"); yes
  transfers there, no starts over, and a third miss transfers there without asking again. A
  wrong transfer is worse than a question (docs/measurements/offline-speech.md), so the receptionist never guesses; with
  no reception entry it keeps asking, and says goodbye after five misses in a row.
- A transfer the edge reports `failed`: apologise and ask who else (the call stays up).
- The caller talking or pressing a key over a prompt stops it (`clear`), except "Transferring
  you to X", which plays out so the caller knows what is happening.
- Nobody saying anything for 8 s after a question: "Are you still there?"; after the third
  such silence in a row: goodbye and hang up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from smartalex.domain.agent import DEFAULT_GREETING
from smartalex.domain.directory import Candidate, DirectoryEntry, Resolution, Verdict

from .answers import consent_among, find_reception, pick, sounds_like_an_answer
from .dtmf import DigitCollector


@dataclass(frozen=True)
class Prompts:
    transferring: str = "Transferring you to {name}."
    transfer_failed: str = ("Sorry, I couldn't put you through to {name}. "
                            "Who else can I help you reach?")
    ambiguous: str = "Did you mean {choices}?"
    no_match: str = "Sorry, I didn't catch that. Who would you like to speak to?"
    no_match_hint: str = ("Sorry, I didn't catch that. Please say the name of the person or "
                          "department, or dial their extension number.")
    offer_reception: str = ("Sorry, I still didn't catch that. Shall I put you through to "
                            "{name}? Say yes, or press 1.")
    declined: str = "OK. Who would you like to speak to? You can also dial an extension number."
    still_there: str = "Are you still there? Who would you like to speak to?"
    goodbye: str = "Sorry I couldn't help this time. Goodbye."


# --- actions the server carries out ---
@dataclass(frozen=True)
class Say:
    text: str
    mark: str               # send this mark after the audio; it comes back once played
    interruptible: bool = True


@dataclass(frozen=True)
class Clear:
    """Drop the caller's queued prompt audio (barge-in)."""


@dataclass(frozen=True)
class Resolve:
    text: str
    alternatives: tuple[tuple[str, float], ...] = ()   # the recogniser's other hypotheses


@dataclass(frozen=True)
class Transfer:
    target: str             # an extension number


@dataclass(frozen=True)
class Hangup:
    pass


Action = Say | Clear | Resolve | Transfer | Hangup


class Phase(StrEnum):
    LISTENING = "listening"        # waiting for the caller (a prompt may be playing)
    RESOLVING = "resolving"        # asked the edge to resolve; waiting for `resolved`
    ANNOUNCING = "announcing"      # "Transferring you to X" playing; transfer on its mark
    TRANSFERRING = "transferring"  # transfer sent; waiting for its outcome
    ENDING = "ending"              # goodbye playing; hang up on its mark
    ENDED = "ended"


class Expecting(StrEnum):
    REQUEST = "request"            # a name, department or extension
    CHOICE = "choice"              # one of the candidates of "Did you mean A or B?"
    CONSENT = "consent"            # yes/no to "Shall I put you through to reception?"


@dataclass
class Conversation:
    greeting: str = DEFAULT_GREETING
    prompts: Prompts = field(default_factory=Prompts)
    offer_after: int = 2          # misses in a row before offering reception
    give_up_after: int = 5        # misses in a row before goodbye, when there is no reception
    silence_timeout: float = 8.0
    silences_before_goodbye: int = 3
    resolve_timeout: float = 5.0
    transfer_timeout: float = 20.0   # the edge gives up on a final NOTIFY after 15 s
    digit_pause: float = 2.0

    phase: Phase = Phase.LISTENING
    expecting: Expecting = Expecting.REQUEST
    misses: int = 0
    silences: int = 0

    def __post_init__(self) -> None:
        self.digits = DigitCollector(pause=self.digit_pause)
        self.reception: DirectoryEntry | None = None
        self._reception_failed = False
        self._offered = False
        self._choices: tuple[Candidate, ...] = ()
        self._marks = 0
        self._prompt: Say | None = None          # the prompt playing, until its mark returns
        self._after_prompt: list[Action] = []
        self._quiet_since: float | None = None   # when the caller was last asked something
        self._caller_talking = False
        self._resolving: str | None = None
        self._deadline: float | None = None      # for RESOLVING and TRANSFERRING
        self._target: Candidate | None = None

    # --- what happens on the call ---
    def start(self, now: float) -> list[Action]:
        return self._say(self.greeting, now)

    def directory(self, entries: list[DirectoryEntry]) -> None:
        self.digits.extensions = {e.extension for e in entries}
        self.reception = find_reception(entries)

    def speech_started(self, now: float) -> list[Action]:
        if self.phase in (Phase.ENDED, Phase.ENDING):
            return []
        self._caller_talking = True
        return self._barge_in()

    def heard(self, text: str, now: float, alternatives: tuple[tuple[str, float], ...] = (),
              raw: str | None = None) -> list[Action]:
        """A transcribed utterance: the words the recogniser was sure of ("" when nothing
        intelligible was heard), its other hypotheses (passed on to the edge's matcher) and
        its best hypothesis with every word (`raw`, for yes and no)."""
        self._caller_talking = False
        if self.phase is not Phase.LISTENING:
            return []     # too late to change course: resolving, transferring or ending
        self.silences = 0
        text = text.strip()
        if self.expecting is Expecting.CONSENT:
            answer = consent_among(raw if raw is not None else text, alternatives)
            if answer is True:
                return self._announce(self._reception_candidate(), now)
            if answer is False:
                self.misses = 0
                self._offered = False
                self.expecting = Expecting.REQUEST
                return self._say(self.prompts.declined, now)
            if text and sounds_like_an_answer(alternatives):
                return self._missed(now)    # "nope" heard as "Novak": not a request
        if not text:
            return self._missed(now)
        if self.expecting is Expecting.CHOICE:
            chosen = pick(text, self._choices)
            if chosen is not None:
                return self._announce(chosen, now)
        return self._resolve(text, now, alternatives)

    @property
    def listening(self) -> bool:
        return self.phase is Phase.LISTENING

    def reads_itself(self, raw: str, alternatives: tuple[tuple[str, float], ...] = ()) -> bool:
        """Whether `heard` would act on this here, without asking the edge: a yes or no to
        the reception offer, or a pick among "Did you mean A or B?"."""
        if self.phase is not Phase.LISTENING:
            return False
        if self.expecting is Expecting.CONSENT:
            return consent_among(raw, alternatives) is not None
        if self.expecting is Expecting.CHOICE:
            return pick(raw, self._choices) is not None
        return False

    def key(self, digit: str, now: float) -> list[Action]:
        """A key the caller pressed (a protocol `dtmf` event or an in-band tone)."""
        if self.phase is not Phase.LISTENING:
            return []
        self.silences = 0
        self._caller_talking = False   # what sounded like speech was the keypad
        actions = self._barge_in()
        if self.expecting is Expecting.CONSENT and not self.digits.pending and digit in "12":
            return actions + self.heard("yes" if digit == "1" else "no", now)
        entry = self.digits.press(digit, now)
        self._quiet_since = None if self.digits.pending else now
        if entry:
            actions += self._resolve(entry, now)
        return actions

    def played(self, mark: str, now: float) -> list[Action]:
        """The edge echoed a mark: the prompt before it has been played (or cleared)."""
        if self._prompt is None or mark != self._prompt.mark:
            return []     # an interrupted or superseded prompt
        self._prompt = None
        self._quiet_since = now
        actions, self._after_prompt = self._after_prompt, []
        for action in actions:
            if isinstance(action, Transfer):
                self.phase = Phase.TRANSFERRING
                self._deadline = now + self.transfer_timeout
            elif isinstance(action, Hangup):
                self.phase = Phase.ENDED
        return actions

    def resolved(self, text: str | None, resolution: Resolution, now: float) -> list[Action]:
        """The edge's `resolved` answer; `text` is the request it answers, as echoed."""
        if self.phase is not Phase.RESOLVING:
            return []
        if text is not None and _normal(text) != _normal(self._resolving or ""):
            return []     # the answer to an earlier request that timed out
        self.phase = Phase.LISTENING
        self._resolving = None
        self._deadline = None
        if resolution.verdict is Verdict.MATCH and resolution.match is not None:
            return self._announce(resolution.match, now)
        if resolution.verdict is Verdict.AMBIGUOUS and len(resolution.candidates) >= 2:
            return self._missed(now, ambiguous=resolution.candidates[:3])
        return self._missed(now)

    def transfer_outcome(self, status: str, now: float) -> list[Action]:
        """The edge's `transfer` event: accepted, completed, failed (or no_match/ambiguous)."""
        if self.phase is not Phase.TRANSFERRING:
            return []
        if status == "accepted":
            self._deadline = now + self.transfer_timeout
            return []
        if status == "completed":
            self.phase = Phase.ENDED     # the edge hangs up its leg and sends `stop`
            return []
        return self._transfer_failed(now)

    def tick(self, now: float) -> list[Action]:
        """The clock: digit pauses, silences, and answers that never came."""
        if self._deadline is not None and now >= self._deadline:
            self._deadline = None
            if self.phase is Phase.RESOLVING:
                self.phase = Phase.LISTENING
                self._resolving = None
                return self._missed(now)
            if self.phase is Phase.TRANSFERRING:
                return self._transfer_failed(now)
        if self.phase is not Phase.LISTENING:
            return []
        entry = self.digits.poll(now)
        if entry:
            return self._resolve(entry, now)
        if (self._prompt is None and not self._caller_talking and not self.digits.pending
                and self._quiet_since is not None
                and now - self._quiet_since >= self.silence_timeout):
            self.silences += 1
            if self.silences >= self.silences_before_goodbye:
                return self._end(now)
            return self._say(self.prompts.still_there, now)
        return []

    def stopped(self) -> None:
        self.phase = Phase.ENDED

    # --- steps ---
    def _say(self, text: str, now: float, interruptible: bool = True,
             then: list[Action] | None = None) -> list[Action]:
        actions: list[Action] = []
        if self._prompt is not None:
            actions.append(Clear())   # a newer prompt replaces one still playing
        self._marks += 1
        self._prompt = Say(text, f"prompt-{self._marks}", interruptible)
        self._after_prompt = list(then or [])
        self._quiet_since = None
        return actions + [self._prompt]

    def _barge_in(self) -> list[Action]:
        if self._prompt is not None and self._prompt.interruptible:
            self._prompt = None
            self._after_prompt = []
            return [Clear()]
        return []

    def _resolve(self, text: str, now: float,
                 alternatives: tuple[tuple[str, float], ...] = ()) -> list[Action]:
        self.phase = Phase.RESOLVING
        self._resolving = text
        self._deadline = now + self.resolve_timeout
        self.digits.reset()
        return [Resolve(text, alternatives)]

    def _announce(self, target: Candidate, now: float) -> list[Action]:
        self.phase = Phase.ANNOUNCING
        self.expecting = Expecting.REQUEST
        self._target = target
        self.digits.reset()
        return self._say(self.prompts.transferring.format(name=target.display_name), now,
                         interruptible=False, then=[Transfer(target.extension)])

    def _missed(self, now: float, ambiguous: tuple[Candidate, ...] = ()) -> list[Action]:
        self.misses += 1
        reception = self.reception if not self._reception_failed else None
        if reception is not None and self._offered:
            return self._announce(self._reception_candidate(), now)   # third miss
        if reception is not None and self.misses >= self.offer_after:
            self._offered = True
            self.expecting = Expecting.CONSENT
            return self._say(self.prompts.offer_reception.format(name=reception.display_name), now)
        if reception is None and self.misses >= self.give_up_after:
            return self._end(now)
        if ambiguous:
            self._choices = ambiguous
            self.expecting = Expecting.CHOICE
            return self._say(self.prompts.ambiguous.format(choices=_or_list(ambiguous)), now)
        self.expecting = Expecting.REQUEST
        again = self.misses >= self.offer_after
        return self._say(self.prompts.no_match_hint if again else self.prompts.no_match, now)

    def _transfer_failed(self, now: float) -> list[Action]:
        target = self._target
        if target is not None and self.reception is not None \
                and target.extension == self.reception.extension:
            self._reception_failed = True
        self.phase = Phase.LISTENING
        self.expecting = Expecting.REQUEST
        self.misses = 0
        self._offered = False
        self._deadline = None
        name = target.display_name if target else "them"
        return self._say(self.prompts.transfer_failed.format(name=name), now)

    def _end(self, now: float) -> list[Action]:
        self.phase = Phase.ENDING
        return self._say(self.prompts.goodbye, now, interruptible=False, then=[Hangup()])

    def _reception_candidate(self) -> Candidate:
        assert self.reception is not None
        return Candidate(self.reception.extension, self.reception.display_name,
                         matched=self.reception.display_name, confidence=1.0)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def _or_list(candidates: tuple[Candidate, ...]) -> str:
    names = [c.display_name for c in candidates]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
