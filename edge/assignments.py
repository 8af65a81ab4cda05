"""Which trunks this edge holds: claiming, following their configuration, handing them back
(docs/assignments.md).

Every trunk is held under the edge's own lease (edge/lease.py renews it), so a poll writes
nothing for the trunks already held: it re-reads them (configuration changes, deletions) and
claims more while the workers have room, first the trunks of edges whose lease ran out (their
PBXs are waiting), then unheld ones. Everything held under a lease that lapsed is lost at once.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Callable, Protocol

from aws_lambda_powertools import Logger

from smartalex.domain.assignment import Lease, free_holders
from smartalex.domain.trunk import Trunk

from .concurrency import each

logger = Logger(service="edge")

# Claim at most this many trunks per poll (the next poll follows at once while more wait), so
# that edges starting together share the work. Each claim is one conditional write; the REGISTERs
# that follow are paced per PBX by the workers (edge/register_pacing.py), not here.
CLAIMS_PER_POLL = 50
# Candidates are read this many times over what a poll claims, and a random share of them
# tried: an index Query returns its items in the same order to every edge, so edges starting
# together would otherwise all race for the same trunks and waste their writes.
OVERSAMPLE = 4


class LeaseStore(Protocol):
    """adapters/dynamodb/leases.py DynamoLeaseStore, as far as the assignment loop uses it."""

    def edges(self) -> list: ...
    def count_held_by(self, holder: str) -> int: ...
    def finish(self, holder: str, now: float, expired_only: bool = True) -> bool: ...
    def held_by(self, holder: str, limit: int) -> list[str]: ...
    def forget(self, holder: str, now: float) -> bool: ...
    def claim(self, trunk_id: str, from_holder: str, holder: str, now: float): ...
    def release(self, lease: Lease, trunk_id: str) -> None: ...
    def load(self, trunk_ids: list[str]) -> dict[str, Trunk]: ...


class CurrentLease(Protocol):
    """edge/lease.py EdgeLease: the lease to hold trunks under now."""

    def current(self) -> tuple[str, int] | None: ...


@dataclass
class Holding:
    trunk: Trunk
    lease: Lease  # its holder (our edge lease) and fence
    incarnation: int  # of our edge lease it is held under (edge/lease.py LeaseGate)


@dataclass
class Changes:
    hold: list[Trunk] = field(default_factory=list)  # register (new trunk or new generation)
    drop: list[str] = field(default_factory=list)    # un-register, then release the lease
    lost: list[str] = field(default_factory=list)    # lease gone: stop at once, release nothing
    route: list[Trunk] = field(default_factory=list)  # agent link or directory changed
    more_waiting: bool = False  # the claim limit was hit: poll again soon, not in a full interval


@dataclass
class AssignmentKeeper:
    """`pool` runs a poll's claims concurrently (a restart claims 1,000 trunks, 50 a poll, one
    conditional write each); None: one at a time."""

    store: LeaseStore
    lease: CurrentLease
    wall: Callable[[], float] = time.time
    held: dict[str, Holding] = field(default_factory=dict)
    unreleased: dict[str, Holding] = field(default_factory=dict)  # let go, not yet handed back
    pool: Executor | None = None
    shuffle: Callable[[list], None] = random.shuffle

    def sync(self, free_slots: int, follow_config: bool = True) -> Changes:
        """Drop what a lapsed lease held, follow the held trunks' configuration, claim.
        `follow_config` False skips the second (one consistent read of every held trunk): the
        quick polls that follow a full claim batch only claim."""
        changes = Changes()
        current = self.lease.current()
        self._drop_lapsed(current, changes)
        self._hand_back_unreleased()
        if current is None:
            return changes  # no lease: nothing can be claimed (edge/lease.py acquires one)
        try:
            if follow_config:
                self._follow_config(current[0], changes)
            self._claim(current, free_slots, changes)
        except Exception:
            # What is already decided (lost, held, a new generation) must reach the supervisor.
            logger.exception("assignment poll failed; retrying on the next poll")
        return changes

    def incarnation_of(self, trunk_id: str) -> int:
        return self.held[trunk_id].incarnation

    def release(self, trunk_id: str) -> None:
        """The worker has un-registered: hand the trunk back (no-op if we lost it meanwhile,
        or if the lease it was held under is over: the next holder finishes that). A hand-back
        that cannot be written now is tried again at the next poll: until it is, the trunk is
        still held under our lease, and nobody else would take it."""
        holding = self._let_go(trunk_id)
        if holding:
            self.unreleased[trunk_id] = holding
            self._hand_back_unreleased()

    def _hand_back_unreleased(self) -> None:
        current = self.lease.current()
        for trunk_id, holding in list(self.unreleased.items()):
            if current is None or holding.lease.holder != current[0]:
                del self.unreleased[trunk_id]  # that lease is over: nothing to hand back
                continue
            try:
                self.store.release(holding.lease, trunk_id)
            except Exception as err:
                logger.warning("could not hand a trunk back; trying again at the next poll",
                               extra={"trunk_id": trunk_id, "why": repr(err)})
                continue
            del self.unreleased[trunk_id]

    def forget(self, trunk_id: str) -> None:
        """Let go without a write: the trunk was lost, or the whole lease is handed back."""
        self._let_go(trunk_id)

    def waiting(self) -> tuple[int, int]:
        """(trunks waiting for an edge, edges alive): the unheld ones and those still held
        under a lease that expired, counted; for the demand metric (edge/control.py)."""
        now = self.wall()
        edges = self.store.edges()
        gone = [e.holder for e in edges if e.finished or e.expires_at < now]
        alive = len(edges) - len(gone)
        counted = sum(self.store.count_held_by(h) for h in [*free_holders(), *gone])
        return counted, max(1, alive)

    def retry_routing(self, trunk_id: str) -> None:
        """Report the trunk's routing as changed again on the next poll."""
        holding = self.held.get(trunk_id)
        if holding:
            holding.trunk = replace(holding.trunk, directory_version=-1)

    def _let_go(self, trunk_id: str) -> Holding | None:
        return self.held.pop(trunk_id, None)

    def _drop_lapsed(self, current: tuple[str, int] | None, changes: Changes) -> None:
        """Everything held under a lease other than the current one is lost: the workers have
        already un-registered it (edge/lease.py LeaseGate), and another edge may claim it."""
        holder = current[0] if current else None
        for trunk_id, holding in list(self.held.items()):
            if holding.lease.holder != holder:
                self._lose(trunk_id, changes, "the edge's lease lapsed")

    def _follow_config(self, holder: str, changes: Changes) -> None:
        ids = list(self.held)
        if not ids:
            return
        current = self.store.load(ids)
        for trunk_id in ids:
            trunk = current.get(trunk_id)
            holding = self.held[trunk_id]
            if trunk is None:
                changes.drop.append(trunk_id)  # deleted through the API
            elif trunk.lease is None or trunk.lease.holder != holder \
                    or trunk.lease.fence != holding.lease.fence:
                self._lose(trunk_id, changes, "another edge holds it")
            elif trunk.generation != holding.trunk.generation:
                holding.trunk = trunk
                changes.hold.append(trunk)
            elif _routing_version(trunk) != _routing_version(holding.trunk):
                holding.trunk = trunk
                changes.route.append(trunk)

    def _claim(self, current: tuple[str, int], free_slots: int, changes: Changes) -> None:
        room = min(free_slots, CLAIMS_PER_POLL)
        if room <= 0:
            return
        candidates = self._candidates(current[0], room)
        changes.more_waiting = room == CLAIMS_PER_POLL and len(candidates) >= room
        holder, incarnation = current
        results = each(self.pool, lambda item: self.store.claim(item[0], item[1], holder,
                                                                self.wall()), candidates)
        still = self.lease.current()
        for (trunk_id, _), claimed in zip(candidates, results):
            if isinstance(claimed, Exception):
                logger.error("claim failed; trying again on a later poll",
                             extra={"trunk_id": trunk_id, "why": repr(claimed)})
                continue
            if claimed is None:
                continue  # another edge was quicker
            if still != current:  # the lease lapsed meanwhile: held under a dead lease
                logger.warning("claimed as the edge's lease lapsed; left for the next holder",
                               extra={"trunk_id": trunk_id})
                continue
            self.held[trunk_id] = Holding(claimed.trunk, claimed.lease, incarnation)
            changes.hold.append(claimed.trunk)
            logger.info("trunk claimed", extra={"trunk_id": trunk_id, "fence": claimed.lease.fence})

    def _candidates(self, holder: str, room: int) -> list[tuple[str, str]]:
        """Up to `room` (trunk, the lease it is held under) to claim: the trunks of edges whose
        lease expired (finished here, by our clock: domain/assignment.py), then unheld ones.
        Each list is shuffled so that edges polling at once mostly try different trunks."""
        found: list[tuple[str, str]] = []
        now = self.wall()
        for edge in self.store.edges():
            if len(found) >= room:
                break
            if edge.holder == holder:
                continue
            if not edge.finished:
                if edge.expires_at >= now or not self.store.finish(edge.holder, now):
                    continue  # alive, or renewed just now
                logger.warning("an edge's lease expired; taking its trunks over",
                               extra={"holder": edge.holder})
            trunks = self._sample(edge.holder, room - len(found))
            if not trunks and edge.finished:
                self.store.forget(edge.holder, now)  # only once long finished
            found += [(t, edge.holder) for t in trunks]
        shards = list(free_holders())
        self.shuffle(shards)
        for shard in shards:
            if len(found) >= room:
                break
            found += [(t, shard) for t in self._sample(shard, room - len(found))]
        return found

    def _sample(self, holder: str, wanted: int) -> list[str]:
        """Up to `wanted` trunks held under `holder`, picked at random among OVERSAMPLE times
        as many (not ours already)."""
        trunk_ids = [t for t in self.store.held_by(holder, wanted * OVERSAMPLE)
                     if t not in self.held]
        self.shuffle(trunk_ids)
        return trunk_ids[:wanted]

    def _lose(self, trunk_id: str, changes: Changes, why: str) -> None:
        self._let_go(trunk_id)
        changes.lost.append(trunk_id)
        logger.warning("trunk lost; un-registering", extra={"trunk_id": trunk_id, "why": why})


def _routing_version(trunk: Trunk) -> tuple:
    """What the edge's call routing for a trunk depends on."""
    return trunk.agent_id, trunk.agent_version, trunk.directory_version, \
        trunk.bindings_version, trunk.answer_delay_seconds
