"""One pjsua2 worker process: an Endpoint pumped from a single thread, holding its trunks.

pjsua2 allows 8 accounts and 4 calls per process, and a 9th account aborts the process
(FACTS.md). The supervisor places one trunk per worker, so each trunk gets the 4 calls and a
crash takes down one trunk, which the supervisor then re-registers in a fresh worker.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from aws_lambda_powertools import Logger

from .protocol import Heartbeat, Hold, Observed, Ready, Release, Released, Shutdown
from .registration import RegistrationDriver

logger = Logger(service="edge-worker")

PUMP_MS = 20
HEARTBEAT_EVERY = 1.0
UNREGISTER_TIMEOUT = 3.0


@dataclass(frozen=True)
class WorkerSettings:
    index: int
    sip_bind: str = "0.0.0.0"
    sip_port: int = 0
    log_level: int = 1
    nameservers: tuple[str, ...] = ()


@dataclass
class TrunkSlot:
    """A held trunk: its pjsua2 account (kept referenced, as pjsua2 requires) and its driver."""

    hold: Hold
    account: object
    driver: RegistrationDriver
    leave_by: float | None = None  # set when un-registering: drop the account by then at the latest
    unregistered: bool = False
    notify: bool = True  # send Released when done (not when replaced by a new generation)


@dataclass
class Worker:
    conn: Connection
    settings: WorkerSettings
    slots: dict[str, TrunkSlot] = field(default_factory=dict)
    leaving: list[TrunkSlot] = field(default_factory=list)
    graveyard: list[object] = field(default_factory=list)
    stopping: bool = False

    def run(self) -> None:
        from .sip.endpoint import create_endpoint, create_transports

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when we stop
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        self.ep = create_endpoint(self.settings.log_level, self.settings.nameservers)
        self.transports = create_transports(self.ep, self.settings.sip_bind, self.settings.sip_port)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()
        self.conn.send(Ready(os.getpid()))
        next_beat = 0.0
        while not (self.stopping and not self.slots and not self.leaving):
            self.ep.libHandleEvents(PUMP_MS)
            self._read_commands()
            self._tick()
            if time.monotonic() >= next_beat:
                self.conn.send(Heartbeat(held=len(self.slots)))
                next_beat = time.monotonic() + HEARTBEAT_EVERY
        self._destroy()

    # --- commands from the supervisor ---
    def _read_commands(self) -> None:
        try:
            while self.conn.poll():
                self._dispatch(self.conn.recv())
        except (EOFError, OSError):
            self._begin_shutdown()  # the supervisor is gone: let go of everything

    def _dispatch(self, message) -> None:
        if isinstance(message, Hold):
            self._hold(message)
        elif isinstance(message, Release):
            slot = self.slots.pop(message.trunk_id, None)
            if slot:
                self._leave(slot)
            else:
                self.conn.send(Released(message.trunk_id))
        elif isinstance(message, Shutdown):
            self._begin_shutdown()

    def _begin_shutdown(self) -> None:
        self.stopping = True
        for trunk_id in list(self.slots):
            self._leave(self.slots.pop(trunk_id))

    def _hold(self, hold: Hold) -> None:
        import pjsua2 as pj

        from .sip.account import TrunkAccount, account_config

        current = self.slots.get(hold.trunk_id)
        if current and current.hold.generation == hold.generation:
            return
        if current:
            current.notify = False
            self._leave(self.slots.pop(hold.trunk_id))
        driver = RegistrationDriver(monotonic=time.monotonic)
        account = TrunkAccount(lambda code, reason, expires, tid=hold.trunk_id, gen=hold.generation:
                               self._on_reg_state(tid, gen, code, reason, expires))
        slot = TrunkSlot(hold, account, driver)
        self.slots[hold.trunk_id] = slot
        try:
            account.create(account_config(hold.account, hold.password,
                                          self.transports[hold.account.transport]))
        except pj.Error as err:
            logger.error("pjsua2 refused the account", extra={"trunk_id": hold.trunk_id,
                                                             "pj_error": err.info()})
            self._report(slot, driver.on_response(500, f"Account setup failed: {err.reason}", 0))
            return
        self._register(slot)

    def _register(self, slot: TrunkSlot) -> None:
        import pjsua2 as pj

        self._report(slot, slot.driver.begin_attempt())
        try:
            slot.account.setRegistration(True)
        except pj.Error as err:
            self._report(slot, slot.driver.on_response(503, err.reason or err.info(), 0))

    def _leave(self, slot: TrunkSlot) -> None:
        """Un-register, then drop the account once the PBX answered (or a timeout passed)."""
        import pjsua2 as pj

        slot.leave_by = time.monotonic() + UNREGISTER_TIMEOUT
        self.leaving.append(slot)
        try:
            if slot.account.getInfo().regIsActive:
                slot.account.setRegistration(False)
                return
        except pj.Error:
            pass
        slot.unregistered = True  # nothing to un-register: drop it on the next tick

    # --- pjsua2 callbacks and time ---
    def _on_reg_state(self, trunk_id: str, generation: int, code: int, reason: str,
                      expires: int) -> None:
        leaving = next((s for s in self.leaving if s.hold.trunk_id == trunk_id
                        and s.hold.generation == generation), None)
        if leaving:
            leaving.unregistered = True
            return
        slot = self.slots.get(trunk_id)
        if slot and slot.hold.generation == generation:
            logger.info("registration response", extra={"trunk_id": trunk_id, "sip_code": code,
                                                         "reason": reason, "expires": expires})
            self._report(slot, slot.driver.on_response(code, reason, expires))

    def _tick(self) -> None:
        for slot in list(self.slots.values()):
            observed, register_now = slot.driver.tick()
            self._report(slot, observed)
            if register_now:
                self._register(slot)
        now = time.monotonic()
        for slot in list(self.leaving):
            if slot.unregistered or now >= slot.leave_by:
                self.leaving.remove(slot)
                self._drop(slot)

    def _drop(self, slot: TrunkSlot) -> None:
        try:
            slot.account.shutdown()
        except Exception:  # pjsua2 may refuse during teardown; the account dies with libDestroy
            logger.exception("account shutdown failed", extra={"trunk_id": slot.hold.trunk_id})
        self.graveyard.append(slot.account)
        if slot.notify:
            self.conn.send(Released(slot.hold.trunk_id))

    def _report(self, slot: TrunkSlot, observed) -> None:
        if observed is not None:
            self.conn.send(Observed(slot.hold.trunk_id, slot.hold.generation, observed))

    def _destroy(self) -> None:
        import pjsua2 as pj

        self.graveyard.clear()
        # Every account is un-registered by now; the default destroy waits ~1 s for network
        # clean-up we no longer need (docs/measurements/pjsua2-registration.md).
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)


def main(conn: Connection, settings: WorkerSettings) -> None:
    """Entry point of the spawned process."""
    logger.append_keys(worker=settings.index, pid=os.getpid())
    Worker(conn, settings).run()
