"""One keepalive per PBX address for all the trunks a worker registers there, independent of
pjsua2.

Each trunk's RegistrationDriver decides when it needs to know whether its PBX is there
(edge/registration.py: an OPTIONS every KEEPALIVE_EVERY while registered, or while the PBX is
away). The answer says something about the address, not the extension: a PBX with fifty AI
extensions on one edge does not need fifty OPTIONS every 20 s, nor does a PBX that has gone
away need one from each of them to find out it is back. So a trunk whose keepalive is due asks
the board, which either
- hands it an answer from that address fresher than `fresh_for` (no request sent; the
  driver then keeps time with that answer, so the trunks at one address come due together),
- lets it wait for the request to that address in flight, however long it has been: pjsip
  retransmits it until the PBX answers or timer F (32 s over UDP) ends it, so it is also the
  quickest news of a PBX that comes back (the drivers read a PBX silent for 5 s as away on
  their own clocks meanwhile), or
- tells it to send one itself, for everyone who asks meanwhile.
One request in flight per address also means at most one per sending account, so an answer
(pjsua's onSendRequest names only the account) always belongs to that account's one request.
Only answers are kept: a request that got none (timer F, or a transport error) tells its
waiters so and nothing more, and the next trunk due asks the PBX again.

The request travels on the sender's pjsua account; when that account goes (the trunk is let go
or moves to another next hop) before the answer, `abandon` returns the other waiters, who ask
again instead of taking the silence for a PBX that went away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Hashable

# pjsip ends every transaction by timer F (32 s with the default T1); a request open twice as
# long will never be answered, and is not waited on.
LOST_AFTER = 64.0


class Ask(StrEnum):
    SEND = "send"          # send the OPTIONS: you carry the question for this address
    WAIT = "wait"          # one is in flight: its answer comes to you too
    ANSWERED = "answered"  # the address answered a moment ago: take that as your answer


@dataclass
class _Request:
    address: Hashable
    sender: int
    sent_at: float
    waiters: set[int] = field(default_factory=set)


@dataclass
class KeepaliveBoard:
    """Keyed by PBX address (whatever identifies where a trunk's OPTIONS go: transport, next
    hop, the registrar's URI); trunks are named by their slot serials."""

    KEEP = 256  # answers kept before the stale ones are swept out

    fresh_for: float
    lost_after: float = LOST_AFTER
    _open: dict[Hashable, _Request] = field(default_factory=dict)
    _by_sender: dict[int, _Request] = field(default_factory=dict)
    _answered_at: dict[Hashable, float] = field(default_factory=dict)

    def ask(self, address: Hashable, serial: int, now: float) -> Ask:
        last = self._answered_at.get(address)
        if last is not None and now - last < self.fresh_for:
            return Ask.ANSWERED
        request = self._open.get(address)
        if request is not None and now - request.sent_at < self.lost_after:
            request.waiters.add(serial)
            return Ask.WAIT
        if request is not None:
            self._close(request)
        request = _Request(address, serial, now, {serial})
        self._open[address] = self._by_sender[serial] = request
        return Ask.SEND

    def last_answer(self, address: Hashable) -> float | None:
        """When the address last answered (what Ask.ANSWERED passed on)."""
        return self._answered_at.get(address)

    def answered(self, sender: int, answered: bool, now: float) -> set[int]:
        """The OPTIONS `sender` sent got `answered` (any response) or not: who to tell."""
        request = self._by_sender.get(sender)
        if request is None:
            return set()
        self._close(request)
        if answered:
            self._answered_at[request.address] = now
            if len(self._answered_at) > self.KEEP:
                self._answered_at = {a: t for a, t in self._answered_at.items()
                                     if now - t < self.fresh_for}
        return request.waiters

    def abandon(self, sender: int) -> set[int]:
        """`sender`'s account is gone with its request: the others waiting must ask again."""
        request = self._by_sender.get(sender)
        if request is None:
            return set()
        self._close(request)
        return request.waiters - {sender}

    def _close(self, request: _Request) -> None:
        if self._open.get(request.address) is request:
            del self._open[request.address]
        if self._by_sender.get(request.sender) is request:
            del self._by_sender[request.sender]
