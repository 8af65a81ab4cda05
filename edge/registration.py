"""When to send REGISTER and what to report, for one trunk, independent of pjsua2.

pjsua's own retry (every 300 s) and refresh (5 s before expiry) are turned off or overridden:
this driver retries with back-off, stops after an authentication failure until the admin acts,
and reports "no answer yet" after a few seconds instead of SIP's 32 s timer F.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from smartalex.domain.messages import RegistrationObserved
from smartalex.domain.registration import Problem, RegistrationState, classify, retry_delay, state_for

NO_ANSWER_HINT_AFTER = 4.0


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

    def begin_attempt(self) -> RegistrationObserved | None:
        """A REGISTER is about to go out; report Connecting unless already registered."""
        self.attempt_started, self.retry_at, self.hinted = self.monotonic(), None, False
        self.attempt_at = self.wall()
        if self.last and self.last.state is RegistrationState.REGISTERED:
            return None  # a refresh: the trunk stays Registered while it is in flight
        if self.failures:
            return None  # a retry: the failure stays on show until the outcome differs
        return self._report(RegistrationState.CONNECTING, None, None, "")

    def on_response(self, code: int, reason: str, expires: int) -> RegistrationObserved | None:
        """pjsua's onRegState for our REGISTER (not for an un-register)."""
        self.attempt_started = None
        problem = classify(code, reason)
        if problem is None:
            self.failures = 0
            expires_at = self.wall() + timedelta(seconds=expires) if expires > 0 else None
            return self._report(RegistrationState.REGISTERED, None, code, reason, expires_at)
        self.failures += 1
        delay = retry_delay(problem, self.failures)
        self.retry_at = None if delay is None else self.monotonic() + delay
        return self._report(state_for(problem), problem, code, reason)

    def tick(self) -> tuple[RegistrationObserved | None, bool]:
        """(what to report, whether to send REGISTER now)."""
        now = self.monotonic()
        registered = self.last is not None and self.last.state is RegistrationState.REGISTERED
        if self.attempt_started is not None and not self.hinted and not registered \
                and now - self.attempt_started >= self.hint_after:
            self.hinted = True
            return self._report(RegistrationState.CONNECTING, Problem.NO_RESPONSE, None, ""), False
        if self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
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
