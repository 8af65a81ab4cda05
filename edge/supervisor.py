"""The edge's main process: runs the pjsua2 worker processes and carries what they need.

Modelled on uvicorn's Multiprocess supervisor: signal handlers only enqueue; the loop does the
work; workers are spawned (nothing of the parent leaks in), watched by heartbeat, and replaced
when they die or hang. The loop never waits on AWS, so a worker's messages (Ready, a registrar
resolved, a call up, a call's record) are handled within a turn whatever DynamoDB or SQS are
doing. Around it, each on a thread of its own:
- the edge's lease (edge/lease.py), which the workers also check on their own clock;
- the AWS side (edge/control.py): claims, each trunk's password and routing, registration
  claims, metrics; what it finds comes back as events the loop applies;
- the outbox (edge/reports.py), which sends what the edge reports to SQS;
- the health file (edge/health.py).
Which worker holds which trunk, and what each is still to be sent, is the pure state machine in
edge/placement.py. SIGTERM drains: every trunk is un-registered and the edge's lease handed back
as soon as that is done, calls in progress get up to `call_drain_seconds` to end; a second
signal hangs them up.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import signal
import threading
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing.connection import wait

from aws_lambda_powertools import Logger

from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.messages import CallEnded, ErrorObserved, RegistrationObserved
from smartalex.domain.registration import Problem, RegistrationState

from . import worker
from .assignments import AssignmentKeeper
from .control import Assigned, Checked, ControlPlane, LetGo
from .dialogs import send_bye
from .health import HealthReporter
from .lease import EdgeLease
from .placement import Placement, Send
from .protocol import (
    CallUp,
    Heartbeat,
    Ready,
    RegistrarResolved,
    Released,
    Report,
)
from .receptionist_process import ReceptionistProcess
from .reports import Outbox, Stamps
from .settings import EdgeSettings

logger = Logger(service="edge")
_SPAWN = mp.get_context("spawn")
EDGE_FAILED_HINT = ("Nothing to change on the PBX: the extension was registered again at once "
                    "by a fresh process, and only calls in progress on the failed one were "
                    "cut. If this happens more than rarely, our edge's logs say why the "
                    "process stopped.")


@dataclass
class WorkerProcess:
    """One worker child: start, watch, stop. What it holds is the Placement's."""

    index: int
    settings: worker.WorkerSettings
    gate: object = field(default=None, repr=False)  # edge/lease.py LeaseGate, shared
    last_seen: float = 0.0
    refused_seen: int = 0  # the worker's count of outsider requests at its last heartbeat
    process: mp.Process | None = field(default=None, repr=False)
    conn: object = field(default=None, repr=False)

    def start(self) -> None:
        parent, child = _SPAWN.Pipe()
        self.process = _SPAWN.Process(target=worker.main, args=(child, self.settings, self.gate),
                                      name=f"edge-worker-{self.index}", daemon=True)
        self.process.start()
        child.close()
        self.conn, self.last_seen, self.refused_seen = parent, time.monotonic(), 0

    def is_alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def send(self, message) -> None:
        """To the worker's pipe; a worker whose pipe closed is dead, and keep_alive replaces
        it (its replacement gets its Holds again from the Placement)."""
        if self.conn is None:
            return
        try:
            self.conn.send(message)
        except OSError:
            pass

    def terminate(self) -> None:
        if self.is_alive():
            self.process.terminate()

    def kill(self) -> None:
        if self.is_alive():
            self.process.kill()

    def join(self, timeout: float | None = None) -> None:
        if self.process is not None:
            self.process.join(timeout)


class Supervisor:
    def __init__(self, settings: EdgeSettings, keeper: AssignmentKeeper, services, publisher,
                 metrics=None, claims=None, readers: Executor | None = None,
                 lease: EdgeLease | None = None):
        """`services` provides the secrets, agents, directory and numbers ports
        (smartalex.bootstrap); `publisher` sends to the edge-events queue; `metrics` publishes
        the edge's CloudWatch metrics; `claims` holds registration identities
        (adapters/dynamodb/registration_claims.py); `readers` runs the AWS side's reads side
        by side (a restart reads the passwords and routing of 1,000 trunks); `lease` is the
        edge's own, which every trunk is held under (edge/lease.py)."""
        self.settings = settings
        self.lease = lease
        self.keeper = keeper
        self.exit_status = 0  # what `python -m edge` exits with once drained
        self._started = 0.0
        self._lease_started = False
        self.receptionist = ReceptionistProcess(settings.receptionist_port)
        self.control = ControlPlane(keeper, services, settings, claims=claims, readers=readers,
                                    metrics=metrics, lease=lease,
                                    receptionist_url=lambda: self.receptionist.url)
        self.outbox = Outbox(publisher)
        self.stamps = Stamps(settings.edge_id)
        self.signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.should_exit = False
        self.placement = Placement(settings.workers, settings.trunks_per_worker)
        # Answered calls, by call id: the worker they are on and how to end them (CallUp).
        self.calls_up: dict[str, tuple[int, CallUp]] = {}
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
                max_silence=settings.max_silence),
                gate=lease.gate if lease else None)
            for i in range(settings.workers)
        ]

    # --- lifecycle ---
    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: self.signals.put(signum))
        self.receptionist.start()
        self._started = time.monotonic()
        self.outbox.start()
        for w in self.workers:
            w.start()
        self.control.start()
        self.health.update(self.worker_states())
        self.health.start()
        logger.info("edge started", extra={"edge": self.settings.edge_id,
                                           "workers": len(self.workers),
                                           "capacity": self.placement.capacity})
        if self.settings.tls_ca_file is None:
            logger.warning("no CA bundle found (install ca-certificates or set "
                           "SMARTALEX_EDGE_TLS_CA_FILE): TLS trunks with tls_verify true will "
                           "fail as untrusted")
        while not self.should_exit:
            self.turn()
        self.drain()

    def turn(self, timeout: float = 0.1) -> None:
        """One turn of the loop: signals, the workers' messages, the AWS side's findings, dead
        or hung workers, trunks whose password to read again; none of it waits on AWS."""
        self.handle_signals()
        self.pump_workers(timeout)
        self._take_the_lease()
        self.take_events()
        self.keep_alive()
        due = self.placement.due(time.monotonic())
        if due:
            self.control.read_holds(due)
        self.control.room = self.placement.room()
        if self.lease is not None:
            self.lease.room = self.control.room
        self.control.gauges.capacity_used = self.placement.held() / self.placement.capacity
        self.health.update(self.worker_states())

    def _take_the_lease(self) -> None:
        """The edge takes its lease once every worker is Ready (or `start_timeout` passed):
        trunks cannot be registered before, and the workers' start is the edge's busiest CPU
        moment, which the lease's first renewals should not have to squeeze through."""
        if self.lease is None or self._lease_started:
            return
        if all(self.placement.ready(w.index) for w in self.workers) \
                or time.monotonic() - self._started > self.settings.start_timeout:
            self.lease.start()
            self._lease_started = True

    def handle_signals(self) -> None:
        while not self.signals.empty():
            signum = self.signals.get()
            logger.info("signal received; draining", extra={"signal": signal.Signals(signum).name})
            self.should_exit = True

    def drain(self) -> None:
        """Un-register every trunk and, once that is done, hand the edge's lease back, so
        another edge registers the extensions within a poll or two; let calls in progress end
        on their own for up to `call_drain_seconds` (their records still reach the queue), then
        stop the workers. A second SIGTERM or Ctrl-C hangs up the calls at once."""
        wait_for_calls = self.settings.call_drain_seconds
        self.control.stop_claiming()
        self._send(self.placement.shutdown(wait_for_calls))
        deadline = time.monotonic() + wait_for_calls + self.settings.graceful_seconds
        handed_back = False
        while any(w.is_alive() for w in self.workers) and time.monotonic() < deadline:
            if not self.signals.empty():
                self.signals.get()
                logger.info("second signal: hanging up the calls in progress")
                self._send(self.placement.shutdown(0.0))
            self.pump_workers(timeout=0.1)
            self.take_events()
            if not handed_back and self.placement.held() == 0:
                self.control.hand_back()  # every registration is gone; calls may go on
                handed_back = True
            self.health.update(self.worker_states())
        if not handed_back:
            self.control.hand_back()
        self.control.handed_back.wait(self.settings.graceful_seconds)
        self.control.stop()
        if not self.outbox.flush(timeout=10):
            logger.error("edge messages not sent before stopping",
                         extra={"pending": self.outbox.pending()})
        self.outbox.stop()
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
            self._send(self.placement.worker_ready(w.index))
        elif isinstance(message, Report):
            self.publish(message)
        elif isinstance(message, RegistrarResolved):
            self.control.resolved(w.index, message)
        elif isinstance(message, Released):
            if self.placement.released(w.index, message.trunk_id):
                self.stamps.let_go(message.trunk_id)
                self.control.released(message.trunk_id)
        elif isinstance(message, CallUp):
            self.calls_up[message.record.call_id] = (w.index, message)
        elif isinstance(message, Heartbeat):
            total = message.refused + message.dropped
            self.control.gauges.add(refused=max(0, total - w.refused_seen))
            w.refused_seen = total
        else:
            logger.warning("unexpected worker message", extra={"kind": type(message).__name__})

    def keep_alive(self) -> None:
        """Replace a dead or hung worker (no heartbeat for `heartbeat_timeout`, or not Ready
        `start_timeout` after it was started): its calls are
        ended for their callers and listed, and its replacement registers its trunks again from
        the Holds the Placement kept (nothing read from AWS)."""
        if self.should_exit:
            return
        self.receptionist.keep_alive()
        now = time.monotonic()
        for w in self.workers:
            silent = self.settings.heartbeat_timeout if self.placement.ready(w.index) \
                else self.settings.start_timeout
            hung = w.is_alive() and now - w.last_seen > silent
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
            w.kill()
            w.join(2)
            self._cut_off_calls(w.index)
            again, gone = self.placement.worker_lost(w.index)
            logger.error("worker died; restarting it and registering its trunks again", extra={
                "worker": w.index, "trunks": len(again), "hung": hung, "exitcode": exitcode})
            for trunk_id in gone:  # it was letting go of them anyway
                self.stamps.let_go(trunk_id)
                self.control.released(trunk_id)
            w.start()

    def _cut_off_calls(self, index: int) -> None:
        """The calls a dead worker had up: a BYE to each caller from the dialog it handed over
        (edge/dialogs.py, on a thread: the loop goes on), and each listed as cut off by an edge
        failure, with an error in Diagnostics. The agent's stream died with the process: its
        socket closes without a `stop`."""
        now = datetime.now(timezone.utc)
        for call_id, (where, up) in list(self.calls_up.items()):
            if where != index:
                continue
            del self.calls_up[call_id]
            if up.dialog is not None:
                threading.Thread(target=self._hang_up, args=(up,), daemon=True,
                                 name=f"bye-{call_id[:8]}").start()
            self.publish(Report(up.trunk_id, up.generation,
                                up.record.model_copy(update={"ended_at": now})))
            self.publish(Report(up.trunk_id, up.generation, ErrorObserved(
                source=ErrorSource.EDGE, call_id=call_id, at=now,
                message="The call was cut off: the edge process serving it stopped "
                        "unexpectedly. We hung up for the caller.", hint=EDGE_FAILED_HINT)))

    def _hang_up(self, up: CallUp) -> None:
        try:
            status = send_bye(up.dialog, bind=self.settings.sip_bind,
                              public=self.settings.public_address, tls_verify=up.tls_verify)
        except OSError as err:
            status = None
            logger.warning("could not send the BYE", extra={"call_id": up.record.call_id,
                                                            "why": repr(err)})
        logger.info("a dead worker's call hung up", extra={
            "call_id": up.record.call_id, "trunk_id": up.trunk_id, "bye_status": status})

    def _send(self, sends: list[Send] | None) -> None:
        for index, message in sends or []:
            self.workers[index].send(message)

    def worker_for(self, trunk_id: str) -> WorkerProcess | None:
        index = self.placement.worker_of(trunk_id)
        return None if index is None else self.workers[index]

    # --- what the AWS side found ---
    def take_events(self) -> None:
        while True:
            try:
                event = self.control.events.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, Assigned):
                self.apply(event)
            elif isinstance(event, Checked):
                self.workers[event.worker].send(event.message)
            elif isinstance(event, LetGo):
                self._let_go(event.trunk_id)

    def apply(self, assigned: Assigned) -> None:
        for trunk_id in assigned.lost:  # another edge may hold it now: say nothing more of it
            self.stamps.let_go(trunk_id)
            self._send(self.placement.release(trunk_id)[0])
        for trunk_id in assigned.drop:  # deleted
            self.stamps.let_go(trunk_id)
            self._let_go(trunk_id)
        for trunk_id, tenant, fence in assigned.stamps:
            self.stamps.held(trunk_id, tenant, fence)
        for report in assigned.reports:
            self.publish(report)
        for trunk_id, routing in assigned.route.items():
            self._send(self.placement.route(trunk_id, routing))
        now = time.monotonic()
        for trunk_id in assigned.unreadable:
            self.placement.cannot_hold(trunk_id, now)
        for hold in assigned.hold:
            sends = self.placement.hold(hold)
            if sends is None:
                logger.error("no worker has room for a claimed trunk; handing it back",
                             extra={"trunk_id": hold.trunk_id})
                self.publish(Report(hold.trunk_id, hold.generation, RegistrationObserved(
                    state=RegistrationState.CONNECTING, problem=Problem.NO_CAPACITY)))
                self.stamps.let_go(hold.trunk_id)
                self.control.released(hold.trunk_id)
                continue
            self._send(sends)

    def _let_go(self, trunk_id: str) -> None:
        """Un-register the trunk; its lease goes back once the worker answers (at once if no
        worker registered it)."""
        sends, gone = self.placement.release(trunk_id)
        self._send(sends)
        if gone:
            self.stamps.let_go(trunk_id)
            self.control.released(trunk_id)

    # --- reporting ---
    def publish(self, report: Report) -> None:
        if isinstance(report.payload, CallEnded):
            self.calls_up.pop(report.payload.call_id, None)
        if isinstance(report.payload, RegistrationObserved) \
                and report.payload.state is RegistrationState.FAILED:
            self.control.gauges.add(failures=1)
        envelope = self.stamps.stamp(report)
        if envelope is not None:
            self.outbox.put(envelope)

    def worker_states(self) -> list[dict]:
        """What the health file says of each worker (edge/health.py writes it)."""
        return [{"index": w.index, "pid": w.process.pid if w.process else None,
                 "alive": w.is_alive(), "ready": self.placement.ready(w.index),
                 "trunks": self.placement.trunks_on(w.index),
                 "calls": sum(1 for where, _ in self.calls_up.values() if where == w.index)}
                for w in self.workers]
