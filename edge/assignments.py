"""Which trunks this edge holds: lease polling, renewal and hand-back (docs/assignments.md)."""

from __future__ import annotations

import time
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

from aws_lambda_powertools import Logger

from smartalex.domain.assignment import RENEW_EVERY_SECONDS, Lease
from smartalex.domain.trunk import Trunk

from .concurrency import each

logger = Logger(service="edge")

# Claim at most this many trunks per poll (the next poll follows at once while more wait), so
# that edges starting together share the work. Each claim is one conditional write; the REGISTERs
# that follow are paced per PBX by the workers (edge/register_pacing.py), not here.
CLAIMS_PER_POLL = 50
# Holdings let go of, kept to stamp what calls still in progress report (newest kept).
PAST_HOLDINGS = 256


class LeaseStore(Protocol):
    owner: str

    def claimable(self, now: float, limit: int) -> list[str]: ...
    def claim(self, trunk_id: str, now: float): ...
    def renew(self, lease: Lease, trunk_id: str, now: float) -> Lease | None: ...
    def release(self, lease: Lease, trunk_id: str) -> None: ...
    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]: ...


@dataclass
class Holding:
    trunk: Trunk
    lease: Lease
    renewed_at: float  # monotonic
    sequence: int = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


@dataclass
class Changes:
    hold: list[Trunk] = field(default_factory=list)  # register (new trunk or new generation)
    drop: list[str] = field(default_factory=list)    # un-register, then release the lease
    lost: list[str] = field(default_factory=list)    # lease gone: stop at once, release nothing
    route: list[Trunk] = field(default_factory=list)  # agent link or directory changed
    more_waiting: bool = False  # the claim limit was hit: poll again soon, not in a full interval


@dataclass
class AssignmentKeeper:
    """`pool` runs the renewals and claims of one poll concurrently: an edge holding 1,000
    trunks renews 200 leases a second (one conditional write each, every 5 s), which one
    thread waiting ~5 ms per write in turn could barely keep up with. None: one at a time."""

    store: LeaseStore
    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    held: dict[str, Holding] = field(default_factory=dict)
    past: OrderedDict[str, Holding] = field(default_factory=OrderedDict)
    pool: Executor | None = None

    def sync(self, free_slots: int, follow_config: bool = True) -> Changes:
        """Renew, follow the held trunks' configuration, claim. `follow_config` False skips
        the second (one consistent read of every held trunk): the quick polls that follow a
        full claim batch only claim; a regular poll follows the configuration."""
        changes = Changes()
        self._renew(changes)
        try:
            if follow_config:
                self._follow_config(changes)
            self._claim(free_slots, changes)
        except Exception:
            # What is already decided (lost, held, a new generation) must reach the supervisor.
            logger.exception("assignment poll failed; retrying on the next poll")
        return changes

    def release(self, trunk_id: str) -> None:
        """The worker has un-registered: hand the trunk back (no-op if we lost it meanwhile)."""
        holding = self._let_go(trunk_id)
        if holding:
            self.store.release(holding.lease, trunk_id)

    def forget(self, trunk_id: str) -> None:
        self._let_go(trunk_id)

    def last_holding(self, trunk_id: str) -> Holding | None:
        """The trunk's holding, or the one we last had: a call outlives its trunk's lease (the
        edge un-registers at once when it drains or loses the trunk, the call goes on), and
        what it reports when it ends still needs the trunk's tenant and a sequence."""
        return self.held.get(trunk_id) or self.past.get(trunk_id)

    def _let_go(self, trunk_id: str) -> Holding | None:
        holding = self.held.pop(trunk_id, None)
        if holding:
            self.past[trunk_id] = holding
            self.past.move_to_end(trunk_id)
            while len(self.past) > PAST_HOLDINGS:
                self.past.popitem(last=False)
        return holding

    def retry_routing(self, trunk_id: str) -> None:
        """Report the trunk's routing as changed again on the next poll."""
        holding = self.held.get(trunk_id)
        if holding:
            holding.trunk = replace(holding.trunk, directory_version=-1)

    def _renew(self, changes: Changes) -> None:
        sent_at = self.monotonic()  # a renewed lease runs from (no later than) here
        due = [(t, h) for t, h in self.held.items() if sent_at - h.renewed_at >= RENEW_EVERY_SECONDS]
        renewed = each(self.pool, lambda item: self.store.renew(item[1].lease, item[0], self.wall()),
                             due)
        for (trunk_id, holding), lease in zip(due, renewed):
            if isinstance(lease, Exception):
                logger.error("lease renewal failed", extra={"trunk_id": trunk_id,
                                                            "why": repr(lease)})
            elif lease is None:
                self._lose(trunk_id, changes, "taken over or deleted")
            else:
                holding.lease, holding.renewed_at = lease, sent_at
        mono = self.monotonic()
        for trunk_id, holding in list(self.held.items()):
            if mono >= holding.lease.usable_until(holding.renewed_at):
                self._lose(trunk_id, changes, "could not renew in time")

    def _follow_config(self, changes: Changes) -> None:
        ids = [t for t in self.held if t not in changes.lost]
        if not ids:
            return
        current = self.store.load(ids)
        for trunk_id in ids:
            trunk = current.get(trunk_id)
            holding = self.held[trunk_id]
            if trunk is None:
                changes.drop.append(trunk_id)  # deleted through the API
            elif trunk.lease is None or trunk.lease.owner != self.store.owner \
                    or trunk.lease.fence != holding.lease.fence:
                self._lose(trunk_id, changes, "another edge holds it")
            elif trunk.generation != holding.trunk.generation:
                holding.trunk = trunk
                changes.hold.append(trunk)
            elif _routing_version(trunk) != _routing_version(holding.trunk):
                holding.trunk = trunk
                changes.route.append(trunk)

    def _claim(self, free_slots: int, changes: Changes) -> None:
        room = min(free_slots, CLAIMS_PER_POLL)
        candidates = self.store.claimable(self.wall(), room)
        changes.more_waiting = room == CLAIMS_PER_POLL and len(candidates) == room
        candidates = [t for t in candidates if t not in self.held]
        sent_at = self.monotonic()  # the leases run from (no later than) when the claims went
        results = each(self.pool, lambda trunk_id: self.store.claim(trunk_id, self.wall()), candidates)
        for trunk_id, claimed in zip(candidates, results):
            if isinstance(claimed, Exception):
                logger.error("claim failed; trying again on a later poll",
                             extra={"trunk_id": trunk_id, "why": repr(claimed)})
                continue
            if claimed is None:
                continue
            self.held[trunk_id] = Holding(claimed.trunk, claimed.lease, sent_at)
            changes.hold.append(claimed.trunk)
            logger.info("trunk claimed", extra={"trunk_id": trunk_id, "fence": claimed.lease.fence})

    def _lose(self, trunk_id: str, changes: Changes, why: str) -> None:
        self._let_go(trunk_id)
        changes.lost.append(trunk_id)
        logger.warning("lease lost; un-registering", extra={"trunk_id": trunk_id, "why": why})


def _routing_version(trunk: Trunk) -> tuple:
    """What the edge's call routing for a trunk depends on."""
    return trunk.agent_id, trunk.agent_version, trunk.directory_version, \
        trunk.bindings_version, trunk.answer_delay_seconds
