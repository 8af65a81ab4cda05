"""The edge's AWS side, on a thread of its own: which trunks it holds (edge/assignments.py), what
each needs to register (its password, agent, directory, numbers), the registration claims
(one PBX extension, one trunk) and the edge's metrics.

The supervisor's loop (edge/supervisor.py) starts workers, places trunks on them and carries
their messages; it never waits on AWS. It tells this thread what it needs (`released`,
`resolved`, `read_holds`, `hand_back`: non-blocking) and reads what comes back from `events`
(`Assigned`, `Checked`, `LetGo`). Everything here may block on AWS (each call bounded:
adapters/aws.py): the workers' registrations, the calls, the lease (edge/lease.py) and the
health file go on meanwhile.

`step()` is one turn, for tests to drive without the thread.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable

from aws_lambda_powertools import Logger

from smartalex.adapters.metrics import (
    CAPACITY_USED,
    INBOUND_REFUSED,
    REGISTRATION_DEMAND,
    REGISTRATION_FAILURES,
)
from smartalex.domain.agent import AgentKind
from smartalex.domain.assignment import REGISTRATION_CLAIM_RENEW_SECONDS, registration_identity
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.errors import NotFound
from smartalex.domain.messages import RegistrationObserved
from smartalex.domain.phone_number import lists_every_binding
from smartalex.domain.registration import Problem, RegistrationState
from smartalex.domain.trunk import Trunk

from .assignments import AssignmentKeeper, Changes
from .concurrency import each
from .protocol import (
    AgentLink,
    BoundNumber,
    CallRouting,
    ExtensionChecked,
    Hold,
    RegistrarResolved,
    Report,
)

logger = Logger(service="edge")
QUICK_POLL = 0.2  # the next poll, while more trunks wait to be claimed
# Registration claims renewed per turn at most (every poll_seconds): 1,000 trunks need 25 a
# second (domain/assignment.py: every 40 s), and a claim lasts 120 s.
RENEWALS_PER_TURN = 200


# --- what the loop hears back ---
@dataclass(frozen=True)
class Assigned:
    """One assignment poll's outcome, with everything the workers need for it."""

    hold: list[Hold] = field(default_factory=list)       # register (new, or a new generation)
    unreadable: list[str] = field(default_factory=list)  # held, password unreadable: retry
    route: dict[str, CallRouting] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)        # another edge holds it: stop now
    drop: list[str] = field(default_factory=list)        # deleted: un-register, hand back
    # (trunk, tenant, fence) of every trunk held from now on: what its reports carry
    stamps: list[tuple[str, str, int]] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)  # e.g. "password unreadable"


@dataclass(frozen=True)
class Checked:
    """The answer to a worker's RegistrarResolved."""

    worker: int
    message: ExtensionChecked


@dataclass(frozen=True)
class LetGo:
    """Another trunk took this trunk's registration identity: un-register it."""

    trunk_id: str


@dataclass
class RegistrationClaim:
    """The registration identity a held trunk claimed (domain/assignment.py)."""

    keys: tuple[str, ...]
    renewed_at: float  # monotonic


class Gauges:
    """What the loop counts for the metrics (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.capacity_used = 0.0
        self._failures = self._refused = 0

    def add(self, failures: int = 0, refused: int = 0) -> None:
        with self._lock:
            self._failures += failures
            self._refused += refused

    def take(self) -> tuple[int, int]:
        with self._lock:
            counts, self._failures, self._refused = (self._failures, self._refused), 0, 0
            return counts


class ControlPlane:
    def __init__(self, keeper: AssignmentKeeper, services, settings, claims=None,
                 readers: Executor | None = None, metrics=None, lease=None,
                 receptionist_url: Callable[[], str] = lambda: "",
                 monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        """`services`: secrets, agents, directory, numbers, agent_secrets (smartalex.bootstrap);
        `claims`: registration identities (adapters/dynamodb/registration_claims.py);
        `readers`: where a poll's many reads run side by side; `lease`: the edge's own
        (edge/lease.py), handed back by `hand_back`."""
        self.keeper, self.services, self.settings = keeper, services, settings
        self.claims, self.readers, self.metrics, self.lease = claims, readers, metrics, lease
        self.receptionist_url = receptionist_url
        self.monotonic, self.wall = monotonic, wall
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.gauges = Gauges()
        self.room = 0  # free slots, as the loop last saw them
        self.claimed: dict[str, RegistrationClaim] = {}
        self.unchecked: dict[str, tuple[int, RegistrarResolved]] = {}
        self.draining = False
        self.handed_back = threading.Event()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._next_poll = self._next_follow = 0.0
        self._next_claims = 0.0
        self._next_metrics = monotonic() + settings.metrics_every
        self._thread = threading.Thread(target=self._run, name="control-plane", daemon=True)

    # --- asked by the loop (non-blocking) ---
    def released(self, trunk_id: str) -> None:
        """The worker un-registered the trunk: hand it back (or, draining, let it go)."""
        self._ask("released", trunk_id)

    def resolved(self, worker: int, message: RegistrarResolved) -> None:
        self._ask("resolved", (worker, message))

    def read_holds(self, trunk_ids: list[str]) -> None:
        """Try again what these held trunks need (their password could not be read)."""
        self._ask("read_holds", list(trunk_ids))

    def hand_back(self) -> None:
        """The edge is stopping and has un-registered everything: give every trunk back."""
        self._ask("hand_back", None)

    def _ask(self, kind: str, value) -> None:
        self._commands.put((kind, value))
        self._wake.set()

    def stop_claiming(self) -> None:
        self.draining = True

    def start(self) -> "ControlPlane":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # --- the thread ---
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                logger.exception("control plane turn failed; going on")
            due = min(self._next_poll, self._next_claims, self._next_metrics)
            self._wake.wait(min(1.0, max(0.0, due - self.monotonic())))
            self._wake.clear()

    def step(self) -> None:
        """Everything due: what the loop asked, an assignment poll, the registration claims'
        renewals and retries, the metrics."""
        self.answer_asked()
        now = self.monotonic()
        if now >= self._next_poll and not self.draining:
            follow = now >= self._next_follow
            if follow:
                self._next_follow = now + self.settings.poll_seconds
            more_waiting = self.poll(follow)
            self._next_poll = self.monotonic() + (QUICK_POLL if more_waiting
                                                   else self.settings.poll_seconds)
        if now >= self._next_claims:
            self.keep_registration_claims()
            self._next_claims = self.monotonic() + self.settings.poll_seconds
        if now >= self._next_metrics:
            self.publish_metrics()
            self._next_metrics = self.monotonic() + self.settings.metrics_every

    def answer_asked(self) -> None:
        """What the loop asked since the last turn (released, resolved, read_holds, hand_back)."""
        resolved: list[tuple[int, RegistrarResolved]] = []
        while True:
            try:
                kind, value = self._commands.get_nowait()
            except queue.Empty:
                break
            if kind == "released":
                self._released(value)
            elif kind == "resolved":
                resolved.append(value)
            elif kind == "read_holds":
                held = [self.keeper.held[t].trunk for t in value if t in self.keeper.held]
                self.events.put(self._assigned(Changes(hold=held)))
            elif kind == "hand_back":
                self._hand_back()
        if resolved:
            self.check_extensions(resolved)

    # --- assignments ---
    def poll(self, follow_config: bool = True) -> bool:
        """One assignment poll, its Holds read; True when more trunks wait to be claimed."""
        changes = self.keeper.sync(free_slots=max(0, self.room), follow_config=follow_config)
        for trunk_id in changes.drop:  # deleted: its extension is free for another trunk
            self._release_claim(trunk_id)
        for trunk_id in changes.lost:  # another edge holds it: the claim is theirs to renew
            self.claimed.pop(trunk_id, None)
            self.unchecked.pop(trunk_id, None)
        if changes.hold or changes.route or changes.lost or changes.drop:
            self.events.put(self._assigned(changes))
        return changes.more_waiting

    def _assigned(self, changes: Changes) -> Assigned:
        reads = each(self.readers, self._read_hold, changes.hold)
        holds, unreadable, reports = [], [], []
        for trunk, hold in zip(changes.hold, reads):
            if isinstance(hold, Exception):
                logger.error("SIP password unavailable", extra={"trunk_id": trunk.trunk_id,
                                                                "why": repr(hold)})
                reports.append(Report(trunk.trunk_id, trunk.generation, RegistrationObserved(
                    state=RegistrationState.FAILED, problem=Problem.NO_CREDENTIALS)))
                unreadable.append(trunk.trunk_id)
            else:
                holds.append(hold)
        routes = {}
        for trunk in changes.route:
            routing = self.routing(trunk)
            if routing is not None:
                routes[trunk.trunk_id] = routing
                logger.info("call routing changed; sent to the worker", extra={
                    "trunk_id": trunk.trunk_id, "agent_id": trunk.agent_id,
                    "directory_entries": len(routing.entries)})
        stamps = [(t.trunk_id, t.tenant_id, self.keeper.held[t.trunk_id].lease.fence)
                  for t in changes.hold if t.trunk_id in self.keeper.held]
        return Assigned(holds, unreadable, routes, list(changes.lost), list(changes.drop),
                        stamps, reports)

    def _read_hold(self, trunk: Trunk) -> Hold:
        """Raises if the password cannot be read (routing falls back: see `routing`)."""
        password = self.services.secrets.get(trunk.trunk_id)
        holding = self.keeper.held.get(trunk.trunk_id)
        return Hold(trunk.trunk_id, trunk.tenant_id, trunk.generation, trunk.account, password,
                    self.routing(trunk) or CallRouting(),
                    incarnation=holding.incarnation if holding else 0)

    def routing(self, trunk: Trunk) -> CallRouting | None:
        """The trunk's agent, directory and numbers as the worker needs them (read once per
        change); None when they could not be read: the next poll tries again, and calls keep
        the routing they had."""
        try:
            entries: tuple[DirectoryEntry, ...] = tuple(self.services.directory.list(trunk.trunk_id))
            numbers = self.services.numbers.for_trunk(trunk.trunk_id)
            if not lists_every_binding(trunk.bound_numbers, numbers):
                # The index has not caught up with a bind or unbind yet (DynamoDB's indexes
                # are eventually consistent): keep the routing calls have, read again soon.
                logger.info("the numbers index is behind the trunk's bindings; reading again "
                            "on the next poll", extra={"trunk_id": trunk.trunk_id})
                self.keeper.retry_routing(trunk.trunk_id)
                return None
            return CallRouting(
                self._agent_link(trunk.agent_id), entries,
                tuple(BoundNumber(n, self._agent_link(n.agent_id)) for n in numbers),
                answer_delay=float(trunk.answer_delay_seconds))
        except Exception:
            logger.exception("could not read the trunk's agent, directory or numbers; "
                             "retrying on the next poll", extra={"trunk_id": trunk.trunk_id})
            self.keeper.retry_routing(trunk.trunk_id)
            return None

    def _agent_link(self, agent_id: str | None) -> AgentLink | None:
        agent = self.services.agents.find(agent_id) if agent_id else None
        if agent is None:
            return None
        url = self.receptionist_url() if agent.kind is AgentKind.RECEPTIONIST \
            else agent.stream_url
        try:
            secret = self.services.agent_secrets.get(agent.agent_id)
        except NotFound:  # made before signing existed: unsigned until its secret is rotated
            secret = None
        return AgentLink(agent.agent_id, agent.kind.value, url, agent.spoken_greeting, secret)

    def _released(self, trunk_id: str) -> None:
        if self.draining and self.lease is not None:
            self.keeper.forget(trunk_id)  # all go back at once: _hand_back
        else:
            self.keeper.release(trunk_id)

    def _hand_back(self) -> None:
        """Every trunk goes back in one write (the edge's lease finished), or one by one
        without an edge lease."""
        for trunk_id in list(self.keeper.held):
            if self.lease is not None:
                self.keeper.forget(trunk_id)
            else:
                self.keeper.release(trunk_id)
        if self.lease is not None:
            self.lease.hand_back()
            self.lease.stop()
        self.handed_back.set()

    # --- registration claims: one PBX extension, one trunk ---
    def check_extensions(self, batch: list[tuple[int, RegistrarResolved]]) -> None:
        """Claim the registration identities workers resolved, concurrently, and tell each
        worker whether it may register. A claim that cannot be written now is tried again on
        the next turn (the worker waits: nothing is registered without it)."""
        todo = []
        for worker, resolved in batch:
            holding = self.keeper.held.get(resolved.trunk_id)
            self.unchecked.pop(resolved.trunk_id, None)
            if holding is None or holding.trunk.generation != resolved.generation:
                continue  # no longer ours, or changed since: the new Hold resolves again
            keys = registration_identity(resolved.hops, holding.trunk.account.extension)
            todo.append((worker, resolved, holding.trunk, keys))
        results = each(self.readers, lambda item: self.claims is None or self.claims.claim(
            item[3], item[2].trunk_id, item[2].tenant_id, self.wall()), todo)
        for (worker, resolved, trunk, keys), free in zip(todo, results):
            self._extension_checked(worker, resolved, trunk, keys, free)

    def _extension_checked(self, worker: int, resolved: RegistrarResolved, trunk: Trunk,
                           keys: tuple[str, ...], free: bool | Exception) -> None:
        if isinstance(free, Exception):
            logger.error("could not claim the registration; retrying",
                         extra={"trunk_id": trunk.trunk_id, "why": repr(free)})
            self.unchecked[trunk.trunk_id] = (worker, resolved)
            return
        if free:
            earlier = self.claimed.get(trunk.trunk_id)
            self.claimed[trunk.trunk_id] = RegistrationClaim(keys, self.monotonic())
            if earlier and set(earlier.keys) - set(keys):  # a changed trunk: the old one goes
                self._release_keys(trunk.trunk_id, tuple(set(earlier.keys) - set(keys)))
        else:
            logger.warning("extension already registered by another trunk",
                           extra={"trunk_id": trunk.trunk_id})
        self.events.put(Checked(worker, ExtensionChecked(trunk.trunk_id, resolved.generation,
                                                         bool(free))))

    def keep_registration_claims(self) -> None:
        """Renew the claims of held trunks; forget those no longer held (the next holder of the
        trunk renews them, the claim being the trunk's); retry claims that failed to write."""
        if self.unchecked:
            self.check_extensions(list(self.unchecked.values()))
        now = self.monotonic()
        due = []
        for trunk_id, claim in list(self.claimed.items()):
            holding = self.keeper.held.get(trunk_id)
            if holding is None:
                del self.claimed[trunk_id]
            elif now - claim.renewed_at >= REGISTRATION_CLAIM_RENEW_SECONDS \
                    and self.claims is not None:
                due.append((trunk_id, claim, holding.trunk.tenant_id))
        # Oldest first, a bounded number a turn: trunks claimed in one burst (a restart) come
        # due together, and their renewals must not hold up the next claims for long.
        due = sorted(due, key=lambda item: item[1].renewed_at)[:RENEWALS_PER_TURN]
        renewed = each(self.readers, lambda item: self.claims.claim(
            item[1].keys, item[0], item[2], self.wall()), due)
        for (trunk_id, claim, _), kept in zip(due, renewed):
            if isinstance(kept, Exception):
                logger.error("could not renew the registration claim; retrying",
                             extra={"trunk_id": trunk_id, "why": repr(kept)})
                continue
            if kept:
                claim.renewed_at = now
                continue
            # Ours lapsed (the claims table was out of reach for minutes) and another trunk
            # took the extension: let go, so this trunk comes back as "registered elsewhere".
            logger.error("registration claim lost to another trunk; letting the trunk go",
                         extra={"trunk_id": trunk_id})
            del self.claimed[trunk_id]
            self.events.put(LetGo(trunk_id))

    def _release_claim(self, trunk_id: str) -> None:
        claim = self.claimed.pop(trunk_id, None)
        self.unchecked.pop(trunk_id, None)
        if claim:
            self._release_keys(trunk_id, claim.keys)

    def _release_keys(self, trunk_id: str, keys: tuple[str, ...]) -> None:
        if self.claims is None:
            return
        try:
            self.claims.release(keys, trunk_id)
        except Exception:  # it lapses by itself (REGISTRATION_CLAIM_SECONDS)
            logger.exception("could not release the registration claim",
                             extra={"trunk_id": trunk_id})

    # --- metrics ---
    def publish_metrics(self) -> None:
        """The share of the edge's registration capacity in use; the registrations wanted over
        it (scaling: the trunks waiting for an edge are shared out between the live edges, so
        the fleet's average is what the fleet wants over what it can hold); registration
        failures (alarm); SIP requests refused as not from a PBX (edge/inbound_policy.py)."""
        if self.metrics is None:
            return
        failures, refused = self.gauges.take()
        used = self.gauges.capacity_used
        try:
            waiting, alive = self.keeper.waiting()
        except Exception:
            logger.exception("could not count the trunks waiting for an edge")
            waiting, alive = 0, 1
        capacity = self.settings.workers * self.settings.trunks_per_worker
        try:
            self.metrics.publish({
                CAPACITY_USED: (used, "None"),
                REGISTRATION_DEMAND: (used + waiting / alive / capacity, "None"),
                REGISTRATION_FAILURES: (float(failures), "Count"),
                INBOUND_REFUSED: (float(refused), "Count"),
            })
        except Exception:
            logger.exception("could not publish the edge's metrics")
            self.gauges.add(failures, refused)  # counted again next time
