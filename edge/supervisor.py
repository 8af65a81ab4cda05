"""The edge's main process: runs pjsua2 worker processes and the assignment loop.

Modelled on uvicorn's Multiprocess supervisor: signal handlers only enqueue; the loop does the
work; workers are spawned (nothing of the parent leaks in), watched by heartbeat, and replaced
when they die or hang. The health file is written by a thread of its own (edge/health.py), so
the loop waiting on AWS never makes the edge look dead. SIGTERM drains: every trunk is un-registered and its lease handed back at
once, calls in progress get up to `call_drain_seconds` to end; a second signal hangs them up.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from multiprocessing.connection import wait

from aws_lambda_powertools import Logger

from smartalex.adapters.metrics import CAPACITY_USED, INBOUND_REFUSED, REGISTRATION_FAILURES
from smartalex.domain.agent import AgentKind
from smartalex.domain.assignment import REGISTRATION_CLAIM_RENEW_SECONDS, registration_identity
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.errors import NotFound
from smartalex.domain.messages import RegistrationObserved, wrap
from smartalex.domain.phone_number import lists_every_binding
from smartalex.domain.registration import Problem, RegistrationState, retry_delay
from smartalex.domain.trunk import Trunk

from . import worker
from .assignments import AssignmentKeeper, Changes
from .concurrency import each
from .protocol import (
    AgentLink,
    BoundNumber,
    CallRouting,
    ExtensionChecked,
    Heartbeat,
    Hold,
    Ready,
    RegistrarResolved,
    Release,
    Released,
    Report,
    Route,
    Shutdown,
)
from .health import HealthReporter
from .placement import Placement
from .receptionist_process import ReceptionistProcess
from .settings import EdgeSettings

logger = Logger(service="edge")
_SPAWN = mp.get_context("spawn")


@dataclass
class WorkerProcess:
    """One worker child: start, watch, stop. Which trunks it holds is the Placement's."""

    index: int
    settings: worker.WorkerSettings
    # Sent once the worker is Ready: the Holds it starts with (by trunk), or a Shutdown.
    pending: dict[str, Hold] = field(default_factory=dict)
    pending_shutdown: Shutdown | None = None
    ready: bool = False
    last_seen: float = 0.0
    refused_seen: int = 0  # the worker's count of outsider requests at its last heartbeat
    process: mp.Process | None = field(default=None, repr=False)
    conn: object = field(default=None, repr=False)

    def start(self) -> None:
        parent, child = _SPAWN.Pipe()
        self.process = _SPAWN.Process(target=worker.main, args=(child, self.settings),
                                      name=f"edge-worker-{self.index}", daemon=True)
        self.process.start()
        child.close()
        self.conn, self.ready, self.last_seen = parent, False, time.monotonic()
        self.refused_seen = 0

    def is_alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def send(self, message) -> None:
        if self.ready and self.conn is not None:  # None: its pipe closed, it died
            try:
                self.conn.send(message)
                return
            except OSError:
                pass  # dead: keep_alive restarts it and re-sends its trunks' Holds
        self._keep_for_start(message)

    def _keep_for_start(self, message) -> None:
        """Before the worker is Ready (pjsua starts in a second or two, longer under load) only
        the Holds it starts with are kept, so what changes meanwhile goes into them: a Route
        (an agent linked while the edge starts) replaces a Hold's routing, a Release cancels
        it. A Shutdown cancels them all: a stopping edge registers nothing new."""
        if isinstance(message, Shutdown):
            self.pending.clear()
            self.pending_shutdown = message
        elif self.pending_shutdown is not None:
            return
        elif isinstance(message, Hold):
            self.pending[message.trunk_id] = message
        elif isinstance(message, Route) and message.trunk_id in self.pending:
            self.pending[message.trunk_id] = replace(self.pending[message.trunk_id],
                                                     routing=message.routing)
        elif isinstance(message, Release):
            self.pending.pop(message.trunk_id, None)

    def send_pending(self) -> None:
        """The worker is Ready: what it was kept for, in order."""
        held, self.pending = list(self.pending.values()), {}
        shutdown, self.pending_shutdown = self.pending_shutdown, None
        for message in [*held, *([shutdown] if shutdown else [])]:
            self.send(message)

    def terminate(self) -> None:
        if self.is_alive():
            self.process.terminate()

    def kill(self) -> None:
        if self.is_alive():
            self.process.kill()

    def join(self, timeout: float | None = None) -> None:
        if self.process is not None:
            self.process.join(timeout)


@dataclass
class RegistrationClaim:
    """The registration identity a held trunk claimed (domain/assignment.py)."""

    keys: tuple[str, ...]
    renewed_at: float  # monotonic


class Supervisor:
    def __init__(self, settings: EdgeSettings, keeper: AssignmentKeeper, services, publisher,
                 metrics=None, claims=None, readers: Executor | None = None):
        """`services` provides the secrets, agents, directory and numbers ports
        (smartalex.bootstrap); `metrics` publishes the edge's CloudWatch metrics; `claims`
        holds registration identities (adapters/dynamodb/registration_claims.py); `readers`
        reads the passwords and routing of many newly held trunks concurrently (a restart
        reads those of 1,000 trunks, four reads each)."""
        self.settings = settings
        self.readers = readers
        self.metrics = metrics
        self.registration_failures = 0
        self.inbound_refused = 0
        self.exit_status = 0  # what `python -m edge` exits with once drained
        self.keeper = keeper
        self.claims = claims
        self.claimed: dict[str, RegistrationClaim] = {}
        self.unchecked: dict[str, tuple[WorkerProcess, RegistrarResolved, float]] = {}
        self.to_check: list[tuple[WorkerProcess, RegistrarResolved]] = []
        self.services = services
        self.publisher = publisher
        self.receptionist = ReceptionistProcess(settings.receptionist_port)
        self.signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.should_exit = False
        self.outbox: list = []
        # Held trunks whose password could not be read: (monotonic time of the next try, failures).
        self.unstarted: dict[str, tuple[float, int]] = {}
        self.placement = Placement(settings.workers, settings.trunks_per_worker)
        self.health = HealthReporter(settings.health_file, settings.edge_id)
        self.workers = [
            WorkerProcess(i, worker.WorkerSettings(
                index=i, sip_bind=settings.sip_bind, sip_port=settings.sip_port(i),
                log_level=settings.pjsip_log_level, nameservers=settings.nameservers,
                public_address=settings.public_address, tls_ca_file=settings.tls_ca_file,
                calls_per_trunk=settings.calls_per_trunk,
                calls_per_worker=settings.calls_per_worker, targets=settings.targets,
                registers_per_second=settings.pbx_registers_per_second / settings.workers,
                registration_expires=settings.registration_expires,
                keepalive_seconds=settings.keepalive_seconds,
                bindings_check_seconds=settings.bindings_check_seconds,
                max_silence=settings.max_silence))
            for i in range(settings.workers)
        ]

    # --- lifecycle ---
    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: self.signals.put(signum))
        self.receptionist.start()
        for w in self.workers:
            w.start()
        self.health.update(self.worker_states())
        self.health.start()
        logger.info("edge started", extra={"edge": self.settings.edge_id,
                                           "workers": len(self.workers),
                                           "capacity": self.placement.capacity})
        if self.settings.tls_ca_file is None:
            logger.warning("no CA bundle found (install ca-certificates or set "
                           "SMARTALEX_EDGE_TLS_CA_FILE): TLS trunks with tls_verify true will "
                           "fail as untrusted")
        next_sync = next_follow = 0.0
        next_metrics = time.monotonic() + self.settings.metrics_every
        while not self.should_exit:
            self.handle_signals()
            self.pump_workers(timeout=0.1)
            self.check_extensions()
            self.keep_alive()
            if time.monotonic() >= next_sync:
                follow = time.monotonic() >= next_follow
                more_waiting = self.sync_assignments(follow_config=follow)
                if follow:
                    next_follow = time.monotonic() + self.settings.poll_seconds
                self.retry_unstarted()
                self.keep_registration_claims()
                next_sync = time.monotonic() + (0.2 if more_waiting else self.settings.poll_seconds)
            self.flush_outbox()
            self.health.update(self.worker_states())
            if time.monotonic() >= next_metrics:
                self.publish_metrics()
                next_metrics = time.monotonic() + self.settings.metrics_every
        self.drain()

    def handle_signals(self) -> None:
        while not self.signals.empty():
            signum = self.signals.get()
            logger.info("signal received; draining", extra={"signal": signal.Signals(signum).name})
            self.should_exit = True

    def drain(self) -> None:
        """Un-register every trunk and hand each lease back as soon as its registration is gone,
        so another edge registers the extension within a poll or two; let calls in progress end
        on their own for up to `call_drain_seconds` (their records still reach the queue), then
        stop the workers. A second SIGTERM or Ctrl-C hangs up the calls at once."""
        wait = self.settings.call_drain_seconds
        for w in self.workers:
            w.send(Shutdown(wait))
        deadline = time.monotonic() + wait + self.settings.graceful_seconds
        while any(w.is_alive() for w in self.workers) and time.monotonic() < deadline:
            if not self.signals.empty():
                self.signals.get()
                logger.info("second signal: hanging up the calls in progress")
                for w in self.workers:
                    w.send(Shutdown(0.0))
            self.pump_workers(timeout=0.1)
            self.flush_outbox()
            self.health.update(self.worker_states())
        for trunk_id in list(self.keeper.held):
            self.keeper.release(trunk_id)
        self.flush_outbox()
        for w in self.workers:
            w.terminate()
            w.join(2)
            w.kill()
            w.join()
        self.receptionist.stop()
        self.health.stop()
        logger.info("edge stopped", extra={"edge": self.settings.edge_id})

    # --- workers ---
    def pump_workers(self, timeout: float) -> None:
        conns = {w.conn: w for w in self.workers if w.conn is not None}
        for conn in wait(list(conns), timeout=timeout):
            w = conns[conn]
            try:
                while conn.poll():
                    self.on_worker_message(w, conn.recv())
            except (EOFError, OSError):
                conn.close()
                w.conn = None

    def on_worker_message(self, w: WorkerProcess, message) -> None:
        w.last_seen = time.monotonic()
        if isinstance(message, Ready):
            w.ready = True
            w.send_pending()
        elif isinstance(message, Report):
            self.publish(message)
        elif isinstance(message, RegistrarResolved):
            self.to_check.append((w, message))  # claimed together: check_extensions
        elif isinstance(message, Released):
            if self.placement.worker_of(message.trunk_id) == w.index:
                self.placement.remove(message.trunk_id)
            self.keeper.release(message.trunk_id)
        elif isinstance(message, Heartbeat):
            total = message.refused + message.dropped
            self.inbound_refused += max(0, total - w.refused_seen)
            w.refused_seen = total
        else:
            logger.warning("unexpected worker message", extra={"kind": type(message).__name__})

    def keep_alive(self) -> None:
        if self.should_exit:
            return
        self.receptionist.keep_alive()
        now = time.monotonic()
        for w in self.workers:
            hung = w.is_alive() and now - w.last_seen > self.settings.heartbeat_timeout
            if w.is_alive() and not hung:
                continue
            exitcode = w.process.exitcode if w.process else None
            if exitcode == worker.CANNOT_START:
                # Its SIP port is taken or cannot be bound: every restart would fail alike.
                logger.critical("a worker cannot start (its SIP port is in use or cannot be "
                                "bound: check SMARTALEX_EDGE_SIP_BIND/SIP_PORT_BASE and what "
                                "else listens there); stopping the edge",
                                extra={"worker": w.index, "sip_port": w.settings.sip_port})
                self.should_exit, self.exit_status = True, 1
                return
            trunks = self.placement.trunks_on(w.index)
            logger.error("worker died; restarting it and registering its trunks again", extra={
                "worker": w.index, "trunks": len(trunks), "hung": hung, "exitcode": exitcode})
            w.kill()
            w.join(2)
            w.pending.clear()
            w.pending_shutdown = None
            holds = self._hold_messages([self.keeper.held[t].trunk for t in trunks
                                         if t in self.keeper.held])
            for trunk_id in trunks:
                hold = holds.get(trunk_id)
                if hold is not None:
                    w.pending[trunk_id] = hold
                    continue
                self.placement.remove(trunk_id)  # no longer ours, or no password now:
                if trunk_id in self.keeper.held:  # retry_unstarted places it again
                    self._retry_later(trunk_id)
            w.start()

    # --- assignments ---
    def sync_assignments(self, follow_config: bool = True) -> bool:
        """One assignment poll; True when more trunks wait to be claimed right away."""
        try:
            # Trunks held but waiting for their password have no worker yet, but will need one.
            room = self.placement.room() - len(self.unstarted)
            changes = self.keeper.sync(free_slots=max(0, room), follow_config=follow_config)
        except Exception:
            logger.exception("assignment poll failed; retrying on the next poll")
            return False
        self.apply(changes)
        return changes.more_waiting

    def apply(self, changes: Changes) -> None:
        for trunk_id in changes.drop:  # deleted: its extension is free for another trunk
            self._release_claim(trunk_id)
        for trunk_id in changes.lost:  # another edge holds it: the claim is theirs to renew
            self.claimed.pop(trunk_id, None)
            self.unchecked.pop(trunk_id, None)
        for trunk_id in changes.lost + changes.drop:
            self.unstarted.pop(trunk_id, None)
            w = self.worker_for(trunk_id)
            if w and w.ready:
                w.send(Release(trunk_id))  # answered by Released once un-registered
            else:
                if w:  # still starting: it has registered nothing of this trunk
                    w.send(Release(trunk_id))
                    self.placement.remove(trunk_id)
                if trunk_id in changes.drop:
                    self.keeper.release(trunk_id)
            if trunk_id in changes.lost:
                self.keeper.forget(trunk_id)
        for trunk in changes.route:
            w = self.worker_for(trunk.trunk_id)
            routing = self.routing(trunk)
            if w and routing:
                w.send(Route(trunk.trunk_id, routing))
                logger.info("call routing changed; sent to the worker", extra={
                    "trunk_id": trunk.trunk_id, "agent_id": trunk.agent_id,
                    "directory_entries": len(routing.entries)})
        holds = self._hold_messages(changes.hold)
        for trunk in changes.hold:
            hold = holds[trunk.trunk_id]
            if hold is None:
                self._retry_later(trunk.trunk_id)
                continue
            index = self.placement.place(trunk.trunk_id)
            if index is None:
                logger.error("no worker has room for a claimed trunk; handing it back",
                             extra={"trunk_id": trunk.trunk_id})
                self.publish(Report(trunk.trunk_id, trunk.generation, RegistrationObserved(
                    state=RegistrationState.CONNECTING, problem=Problem.NO_CAPACITY)))
                self.keeper.release(trunk.trunk_id)
                continue
            self.unstarted.pop(trunk.trunk_id, None)
            self.workers[index].send(hold)

    def _retry_later(self, trunk_id: str) -> None:
        """Keep the lease (another edge would fail the same way) and read the password again
        later, backing off like a failed registration (2 s up to 2 min)."""
        failures = self.unstarted.get(trunk_id, (0.0, 0))[1] + 1
        delay = retry_delay(Problem.NO_CREDENTIALS, failures) or 0.0
        self.unstarted[trunk_id] = (time.monotonic() + delay, failures)

    def retry_unstarted(self) -> None:
        """Another try for held trunks whose password could not be read, once their time came."""
        now = time.monotonic()
        due = [t for t, (at, _) in self.unstarted.items() if at <= now]
        holds = [self.keeper.held[t].trunk for t in due if t in self.keeper.held]
        for trunk_id in due:
            if trunk_id not in self.keeper.held:
                del self.unstarted[trunk_id]
        if holds:
            self.apply(Changes(hold=holds))

    # --- registration claims: one PBX extension, one trunk ---
    def check_extensions(self, batch: list[tuple[WorkerProcess, RegistrarResolved]] | None = None
                         ) -> None:
        """Claim the registration identities workers resolved (those they sent since the last
        call, by default), concurrently, and tell each worker whether it may register. A claim
        that cannot be written now is tried again on the next poll (the worker waits: nothing
        is registered without it)."""
        if batch is None:
            batch, self.to_check = self.to_check, []
        todo = []
        for w, resolved in batch:
            holding = self.keeper.held.get(resolved.trunk_id)
            self.unchecked.pop(resolved.trunk_id, None)
            if holding is None or holding.trunk.generation != resolved.generation:
                continue  # no longer ours, or changed since: the new Hold resolves again
            account = holding.trunk.account
            keys = registration_identity(resolved.addresses, resolved.port or account.port,
                                         account.extension)
            todo.append((w, resolved, holding.trunk, keys))
        results = each(self.readers, lambda item: self.claims is None or self.claims.claim(
            item[3], item[2].trunk_id, item[2].tenant_id, time.time()), todo)
        for (w, resolved, trunk, keys), free in zip(todo, results):
            self._extension_checked(w, resolved, trunk, keys, free)

    def _extension_checked(self, w: WorkerProcess, resolved: RegistrarResolved, trunk: Trunk,
                           keys: tuple[str, ...], free: bool | Exception) -> None:
        if isinstance(free, Exception):
            logger.error("could not claim the registration; retrying",
                         extra={"trunk_id": trunk.trunk_id, "why": repr(free)})
            self.unchecked[trunk.trunk_id] = (w, resolved, time.monotonic())
            return
        if free:
            earlier = self.claimed.get(trunk.trunk_id)
            self.claimed[trunk.trunk_id] = RegistrationClaim(keys, time.monotonic())
            if earlier and set(earlier.keys) - set(keys):  # a changed trunk: the old one goes
                self._release_keys(trunk.trunk_id, tuple(set(earlier.keys) - set(keys)))
        else:
            logger.warning("extension already registered by another trunk",
                           extra={"trunk_id": trunk.trunk_id})
        w.send(ExtensionChecked(trunk.trunk_id, resolved.generation, free))

    def keep_registration_claims(self) -> None:
        """Renew the claims of held trunks; forget those no longer held (the next holder of the
        trunk renews them, the claim being the trunk's); retry claims that failed to write."""
        self.check_extensions([(w, resolved) for w, resolved, _ in self.unchecked.values()])
        now = time.monotonic()
        due = []
        for trunk_id, claim in list(self.claimed.items()):
            holding = self.keeper.held.get(trunk_id)
            if holding is None:
                del self.claimed[trunk_id]
            elif now - claim.renewed_at >= REGISTRATION_CLAIM_RENEW_SECONDS \
                    and self.claims is not None:
                due.append((trunk_id, claim, holding.trunk.tenant_id))
        renewed = each(self.readers, lambda item: self.claims.claim(
            item[1].keys, item[0], item[2], time.time()), due)
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
            w = self.worker_for(trunk_id)
            if w:
                w.send(Release(trunk_id))

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

    def worker_for(self, trunk_id: str) -> WorkerProcess | None:
        index = self.placement.worker_of(trunk_id)
        return None if index is None else self.workers[index]

    def _hold_messages(self, trunks: list[Trunk]) -> dict[str, Hold | None]:
        """What each trunk's worker needs to register it, read concurrently on `readers`; None
        for a trunk whose password could not be read (reported Failed here, on the loop)."""
        holds: dict[str, Hold | None] = {}
        for trunk, hold in zip(trunks, each(self.readers, self._read_hold, trunks)):
            if isinstance(hold, Exception):
                logger.error("SIP password unavailable", extra={"trunk_id": trunk.trunk_id,
                                                                "why": repr(hold)})
                self.publish(Report(trunk.trunk_id, trunk.generation, RegistrationObserved(
                    state=RegistrationState.FAILED, problem=Problem.NO_CREDENTIALS)))
                hold = None
            holds[trunk.trunk_id] = hold
        return holds

    def _read_hold(self, trunk: Trunk) -> Hold:
        """Raises if the password cannot be read (routing falls back: see `routing`)."""
        password = self.services.secrets.get(trunk.trunk_id)
        return Hold(trunk.trunk_id, trunk.tenant_id, trunk.generation, trunk.account, password,
                    self.routing(trunk) or CallRouting())

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
        url = self.receptionist.url if agent.kind is AgentKind.RECEPTIONIST else agent.stream_url
        try:
            secret = self.services.agent_secrets.get(agent.agent_id)
        except NotFound:  # made before signing existed: unsigned until its secret is rotated
            secret = None
        return AgentLink(agent.agent_id, agent.kind.value, url, agent.spoken_greeting, secret)

    # --- reporting ---
    def publish(self, message: Report) -> None:
        if isinstance(message.payload, RegistrationObserved) \
                and message.payload.problem is not Problem.NO_EDGE:
            holding = self.keeper.held.get(message.trunk_id)
        else:  # a call's record or error, or a let-go: also after the trunk's lease went back
            holding = self.keeper.last_holding(message.trunk_id)
        if holding is None:
            return  # no longer ours: whatever we saw is not the trunk's status any more
        if isinstance(message.payload, RegistrationObserved) \
                and message.payload.state is RegistrationState.FAILED:
            self.registration_failures += 1
        self.outbox.append(wrap(
            message.payload, edge=self.settings.edge_id, tenant=holding.trunk.tenant_id,
            trunk=message.trunk_id, generation=message.generation, fence=holding.lease.fence,
            sequence=holding.next_sequence()))

    def flush_outbox(self) -> None:
        if not self.outbox:
            return
        try:
            self.publisher.publish(self.outbox)
        except Exception:
            logger.exception("could not send edge messages; retrying",
                             extra={"pending": len(self.outbox)})
            del self.outbox[:-1000]  # bounded: the newest status is what matters
            return
        self.outbox.clear()

    def publish_metrics(self) -> None:
        """The share of the edge's registration capacity in use (scaling, edge/placement.py),
        registration failures (alarm), and SIP requests refused as not from a PBX
        (edge/inbound_policy.py)."""
        if self.metrics is None:
            return
        try:
            self.metrics.publish({
                CAPACITY_USED: (self.placement.held() / self.placement.capacity, "None"),
                REGISTRATION_FAILURES: (float(self.registration_failures), "Count"),
                INBOUND_REFUSED: (float(self.inbound_refused), "Count"),
            })
        except Exception:
            logger.exception("could not publish the edge's metrics")
            return
        self.registration_failures = 0
        self.inbound_refused = 0

    def worker_states(self) -> list[dict]:
        """What the health file says of each worker (edge/health.py writes it)."""
        return [{"index": w.index, "pid": w.process.pid if w.process else None,
                 "alive": w.is_alive(), "ready": w.ready,
                 "trunks": self.placement.trunks_on(w.index)} for w in self.workers]
