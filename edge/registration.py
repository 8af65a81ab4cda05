"""When to send REGISTER and what to report, for one trunk, independent of pjsua2.

pjsua's own retry (every 300 s) and refresh (5 s before expiry) are turned off or overridden:
this driver retries with back-off, stops after an authentication failure until the admin acts,
and reports "no answer yet" after a few seconds instead of SIP's 32 s timer F.

A registrar found through DNS may have several next hops (edge/resolver.py: the SRV targets in
RFC 2782 order, each target's addresses). RFC 3263 4.3 says to try the next one when a request
fails with a transport error, a timeout or a 503; waiting for pjsua's timeout (timer F, 32 s on
UDP) at each one would keep the trunk Connecting for minutes, so an attempt unanswered after
FAIL_OVER_AFTER moves on at once. The "no answer" hint comes when the last hop is silent too;
the retry after the back-off starts again from the best one.

Once registered it keeps checking that the registration is really there, as a desk phone
cannot:
- a keepalive (OPTIONS to the registrar, every KEEPALIVE_EVERY; also what keeps a NAT on the
  way open; one request answers every trunk of a worker at that address, edge/keepalive.py)
  notices the PBX going away (no answer within KEEPALIVE_TIMEOUT: the trunk reads
  Connecting) and coming back (the edge registers again at once: a PBX that restarts without
  persistent registrations has forgotten ours);
- a bindings check (a REGISTER without Contact, RFC 3261 10.2.3: the registrar lists the
  extension's bindings and changes nothing) every BINDINGS_EVERY and just before each refresh,
  and the Contacts of every REGISTER's 200: our own Contact missing while another device's is
  listed means that device took the extension (Asterisk with remove_existing, 3CX and Kamailio
  with one contact per extension let the newest registration win, silently). The trunk then
  reads Failed and the edge stands down (un-registers its own, already dropped, Contact and
  stops refreshing, which would take the extension back) until a long back-off or Re-register.
  Nothing listed at all means the PBX forgot us (a restart): register again at once. Other
  devices listed beside ours is a warning: calls may ring them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Callable

from smartalex.domain.messages import RegistrationObserved
from smartalex.domain.registration import Problem, RegistrationState, classify, retry_delay, state_for

from .inbound_policy import CONTACT_PARAM
from .sip.invite import Binding

NO_ANSWER_HINT_AFTER = 4.0
# An unanswered REGISTER has been sent 4 times over UDP by then (0, 0.5, 1.5, 3.5 s: RFC 3261
# timer A doubling from T1); a TCP or TLS connection that is refused fails at once.
FAIL_OVER_AFTER = 4.0
# How early before it expires pjsua refreshes a registration (pjsua's default, 5 s, leaves no
# room for a retransmission or a slow PBX); edge/sip/account.py configures it.
REFRESH_BEFORE_EXPIRY = 60
KEEPALIVE_EVERY = 20.0
KEEPALIVE_TIMEOUT = 5.0
BINDINGS_EVERY = 25.0
# The bindings check before a refresh comes this long before it: a refresh re-adds our Contact,
# which on a newest-wins PBX takes the extension back without anyone noticing.
CHECK_BEFORE_REFRESH = 5.0


class Next(StrEnum):
    """What the worker does after a keepalive or bindings answer."""

    NOTHING = "nothing"
    REGISTER = "register"        # send REGISTER now (the PBX came back, or forgot us)
    STAND_DOWN = "stand_down"    # another device took the extension: un-register, stop refreshing


@dataclass(frozen=True)
class Bindings:
    """What a registrar listed for the extension: whether our Contact is among them, and how
    many others. `listed` False: the answer carried no Contact at all."""

    ours: bool
    others: int
    listed: bool = True


def classify_bindings(found: tuple[Binding, ...] | None, token: str,
                      own: frozenset[str] = frozenset()) -> Bindings:
    """Ours: a Contact carrying our trunk's token (inbound_policy.CONTACT_PARAM); for a
    registrar that drops URI parameters, one at one of our own transport addresses (`own`,
    "host:port"). Contacts listed with expires=0 are on their way out and do not count."""
    if found is None:
        return Bindings(False, 0, listed=False)
    live = [b for b in found if b.expires != 0]
    tokens = any(CONTACT_PARAM in b.uri.lower() for b in live)

    def is_ours(b: Binding) -> bool:
        return b.has_param(CONTACT_PARAM, token) or (not tokens and b.host_port in own)

    ours = [b for b in live if is_ours(b)]
    return Bindings(bool(ours), len(live) - len(ours))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RegistrationDriver:
    """Feed it pjsua outcomes and clock ticks; it returns what to report and when to retry."""

    monotonic: Callable[[], float]
    wall: Callable[[], datetime] = utcnow
    hint_after: float = NO_ANSWER_HINT_AFTER
    failures: int = 0
    attempt_started: float | None = None
    retry_at: float | None = None
    hinted: bool = False
    attempt_at: datetime | None = None
    last: RegistrationObserved | None = field(default=None, repr=False)
    keepalive_every: float = KEEPALIVE_EVERY
    bindings_every: float = BINDINGS_EVERY
    up: bool = False             # registered, as far as the PBX told us last
    refresh_at: float | None = None
    next_keepalive: float | None = None
    keepalive_sent: float | None = None
    pbx_gone: bool = False       # the keepalive got no answer: the PBX is away
    next_check: float | None = None
    check_pending: bool = False
    lists_bindings: bool = True  # its 200s list Contacts (else a check can tell nothing)
    standing_down: bool = False  # another device took the extension: we leave it be
    taken: int = 0               # how often that happened (the back-off doubles)
    hops: int = 1                # next hops the registrar resolved to (edge/resolver.py)
    hop: int = 0                 # the one REGISTERs go to now
    fail_over_after: float = FAIL_OVER_AFTER
    moving_on: bool = False      # the hop just failed: the retry due now goes to the next

    def resolved(self, hops: int) -> None:
        """The registrar resolved to `hops` next hops: start with the best."""
        self.hops, self.hop, self.moving_on = max(hops, 1), 0, False

    def _move_on(self) -> bool:
        """RFC 3263 4.3: try the next hop, if there is one left."""
        if self.hop + 1 >= self.hops:
            return False
        self.hop += 1
        self.attempt_started, self.hinted = None, False
        return True

    def begin_attempt(self) -> RegistrationObserved | None:
        """A REGISTER is about to go out; report Connecting unless already registered."""
        self.attempt_started, self.retry_at, self.hinted = self.monotonic(), None, False
        self.attempt_at = self.wall()
        self.standing_down = False
        if self.last and self.last.state is RegistrationState.REGISTERED:
            return None  # a refresh: the trunk stays Registered while it is in flight
        if self.failures:
            return None  # a retry: the failure stays on show until the outcome differs
        return self._report(RegistrationState.CONNECTING, None, None, "")

    def on_response(self, code: int, reason: str, expires: int,
                    bindings: Bindings | None = None) -> RegistrationObserved | None:
        """pjsua's onRegState for our REGISTER, with what its 200 listed (`bindings`)."""
        if self.standing_down:
            return None  # the answer to the un-REGISTER of our own Contact as we stood down
        self.attempt_started = None
        problem = classify(code, reason)
        if problem is None:
            self.failures = 0
            if bindings is not None and not bindings.listed:
                self.lists_bindings = False
            if bindings is not None and bindings.listed and not bindings.ours \
                    and bindings.others:
                return self._taken()
            self._registered(expires)
            expires_at = self.wall() + timedelta(seconds=expires) if expires > 0 else None
            shared = bindings is not None and bindings.ours and bindings.others > 0
            return self._report(RegistrationState.REGISTERED, Problem.SHARED if shared else None,
                                code, str(bindings.others) if shared else reason, expires_at)
        self.up = False
        if (code == 503 or problem in (Problem.NO_RESPONSE, Problem.REFUSED)) \
                and self._move_on():
            self.retry_at, self.moving_on = self.monotonic(), True
            return None  # still Connecting: the next hop is tried at once
        self.failures += 1
        delay = retry_delay(problem, self.failures)
        self.retry_at = None if delay is None else self.monotonic() + delay
        return self._report(state_for(problem), problem, code, reason)

    def _registered(self, expires: int) -> None:
        now = self.monotonic()
        self.up, self.pbx_gone = True, False
        self.refresh_at = now + max(expires - REFRESH_BEFORE_EXPIRY, 1) if expires > 0 else None
        self.next_keepalive = now + self.keepalive_every
        self.next_check = self._next_check(now)

    def _next_check(self, now: float) -> float:
        due = now + self.bindings_every
        if self.refresh_at is not None and self.refresh_at - CHECK_BEFORE_REFRESH > now:
            due = min(due, self.refresh_at - CHECK_BEFORE_REFRESH)
        return due

    def _taken(self) -> RegistrationObserved | None:
        """Another device took the extension: stand down until a long back-off has passed."""
        self.up, self.standing_down, self.check_pending = False, True, False
        self.taken += 1
        self.retry_at = self.monotonic() + retry_delay(Problem.CONTACT_TAKEN, self.taken)
        return self._report(RegistrationState.FAILED, Problem.CONTACT_TAKEN, None, "")

    # --- keeping watch while registered ---
    def keepalive_due(self) -> bool:
        """Send the OPTIONS keepalive now? (Registered, or the PBX went away.)"""
        now = self.monotonic()
        if not (self.up or self.pbx_gone) or self.keepalive_sent is not None \
                or self.next_keepalive is None or now < self.next_keepalive:
            return False
        self.keepalive_sent, self.next_keepalive = now, now + self.keepalive_every
        return True

    def on_keepalive(self, answered: bool, at: float | None = None
                     ) -> tuple[RegistrationObserved | None, Next]:
        """The keepalive's outcome: `answered` is any response from the PBX, whatever its
        code (a 404 or 405 to OPTIONS still says it is there); False is a local timeout or a
        transport error. `at`: when the PBX gave the answer, if it was another trunk's
        request (edge/keepalive.py); the next keepalive keeps time with that one's, so all
        the trunks at one address come due together and one request serves them."""
        self.keepalive_sent = None
        if at is not None:
            self.next_keepalive = at + self.keepalive_every
        if not answered:
            return self._gone(), Next.NOTHING
        if self.pbx_gone:
            self.pbx_gone = False
            return None, Next.REGISTER  # it came back, perhaps without our registration
        return None, Next.NOTHING

    def keepalive_lost(self) -> None:
        """The keepalive this trunk waited for was another trunk's, and went with that trunk's
        account (edge/keepalive.py): ask again at once rather than time out."""
        if self.keepalive_sent is not None:
            self.keepalive_sent, self.next_keepalive = None, self.monotonic()

    def _gone(self) -> RegistrationObserved | None:
        if self.pbx_gone:
            return None
        self.pbx_gone, self.up, self.check_pending = True, False, False
        return self._report(RegistrationState.CONNECTING, Problem.NO_RESPONSE, None, "")

    def bindings_check_due(self) -> bool:
        now = self.monotonic()
        if not self.up or not self.lists_bindings or self.check_pending \
                or self.next_check is None or now < self.next_check:
            return False
        self.check_pending, self.next_check = True, self._next_check(now)
        return True

    def on_bindings(self, bindings: Bindings | None) -> tuple[RegistrationObserved | None, Next]:
        """What a bindings check found; None: it got no usable answer (the keepalive judges
        whether the PBX is there)."""
        self.check_pending = False
        if bindings is None or not self.up:
            return None, Next.NOTHING
        if not bindings.ours:
            if bindings.others:
                return self._taken(), Next.STAND_DOWN
            return None, Next.REGISTER  # the PBX forgot us (restarted): register again now
        last, shared = self.last, bindings.others > 0
        if not shared and last.problem is not Problem.SHARED:
            return None, Next.NOTHING
        return self._report(RegistrationState.REGISTERED, Problem.SHARED if shared else None,
                            last.sip_code, str(bindings.others) if shared else "OK",
                            last.expires_at), Next.NOTHING

    def tick(self) -> tuple[RegistrationObserved | None, bool]:
        """(what to report, whether to send REGISTER now)."""
        now = self.monotonic()
        if self.keepalive_sent is not None and now - self.keepalive_sent >= KEEPALIVE_TIMEOUT:
            self.keepalive_sent = None
            observed = self._gone()
            if observed is not None:
                return observed, False
        registered = self.last is not None and self.last.state is RegistrationState.REGISTERED
        waited = now - self.attempt_started if self.attempt_started is not None else None
        if waited is not None and not registered and waited >= self.fail_over_after \
                and self._move_on():
            return None, True  # this hop is silent: REGISTER with the next one now
        if waited is not None and not self.hinted and not registered \
                and waited >= self.hint_after:
            self.hinted = True
            return self._report(RegistrationState.CONNECTING, Problem.NO_RESPONSE, None, ""), False
        if self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            if not self.moving_on:
                self.hop = 0  # a retry after the back-off: the best hop may be back
            self.moving_on = False
            return None, True
        return None, False

    def _report(self, state, problem, code, reason, expires_at=None) -> RegistrationObserved | None:
        observed = RegistrationObserved(
            state=state, problem=problem, sip_code=code, reason=reason,
            attempt_at=self.attempt_at, expires_at=expires_at,
        )
        if self.last is not None and _same(self.last, observed):
            return None
        self.last = observed
        return observed


def _same(a: RegistrationObserved, b: RegistrationObserved) -> bool:
    """Nothing new to tell the admin (a retry that failed the same way)."""
    return (a.state, a.problem, a.sip_code, a.reason, a.expires_at) == \
        (b.state, b.problem, b.sip_code, b.reason, b.expires_at)
