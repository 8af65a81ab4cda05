"""One pjsua2 worker process: an Endpoint pumped from a single thread, holding its trunks.

The supervisor places up to `trunks_per_worker` trunks on each worker (edge/placement.py), one
pjsua2 account each, so a crash takes down that worker's trunks only, which the supervisor then
re-registers in a fresh worker. Each call goes to its own trunk's account: the trunk's contact
token, or else the PBX that sent it and the extension it names (InboundPolicy.owner, asked
from Endpoint.onSelectAccount). The worker also keeps the doors shut that face
the internet: only the PBX of a held trunk may start anything (InboundPolicy, enforced by the
request guard before pjsip answers), only the registrar's challenges get a digest answer
(ChallengePolicy), and the registrar's name is resolved off the pump and then pinned
(edge/resolver.py).
"""

from __future__ import annotations

import gc
import itertools
import os
import signal
import sys
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection

from aws_lambda_powertools import Logger

from smartalex.domain.call import CallOutcome
from smartalex.domain.messages import CallEnded, PartyInfo
from smartalex.domain.errors_log import ErrorSource
from smartalex.domain.matching import Matcher
from smartalex.domain.messages import RegistrationObserved
from smartalex.domain.registration import (
    CHALLENGE_REFUSED,
    EXTENSION_TAKEN,
    TARGET_REFUSED,
    Problem,
    RegistrationState,
)
from smartalex.domain.targets import ANY_TARGET, TargetGuard, TargetPolicy, refusal

from smartalex.domain.trunk import Transport

from .challenges import ChallengePolicy, challenge_of
from .inbound_policy import (
    InboundPolicy,
    PbxAddresses,
    Refusal,
    contact_token,
    parse_source,
    request_user_of,
    token_of,
)
from .dialogs import Dialog
from .protocol import (
    CallRouting,
    CallUp,
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
from .register_pacing import RegisterPacer
from .keepalive import Ask, KeepaliveBoard
from .registration import Next, RegistrationDriver, classify_bindings
from .settings import MAX_SILENCE
from .resolver import LookupFailed, PendingLookup, Resolver, dns_lookup, dns_srv_lookup

logger = Logger(service="edge-worker")

PUMP_MS = 20
# The trunks' registration drivers are looked at this often, not every pump turn: a turn ends
# as soon as pjsip handles one event, so under SIP traffic turns come hundreds of times a
# second, and scanning a thousand trunks each time was most of an idle edge's CPU (profiled:
# 72 % of a worker's samples, docs/measurements/edge-capacity.md). Every timer the drivers
# keep (hints and fail-over at 4 s, keepalive timeout 5 s, back-offs, the REGISTER pacer) is
# far coarser. Calls and the lease check still run every turn.
TRUNK_TICK_EVERY = 0.1
HEARTBEAT_EVERY = 1.0
UNREGISTER_TIMEOUT = 3.0
# Exit status of a worker that cannot start at all (EX_CONFIG): not worth restarting.
CANNOT_START = 78
NO_AGENT_HINT = ("Link an agent to this trunk (PUT /v1/agents/{agent_id}/telephony); until then "
                 "calls to the extension are refused with 480 so the PBX can fail over.")
BUSY_HINT = ("The AI extension is at its call capacity; the PBX's ring group, queue or voicemail "
             "takes extra calls. Add edge capacity if this happens often.")
CUT_HINT = ("Our edge was restarting (a deployment or scale-in) and this call outlasted the time "
            "it waits for calls to end. Nothing to change on the PBX: when the drain began the "
            "extension was handed over to another edge (or re-registered as soon as one "
            "started), so only calls already in progress were affected.")


@dataclass(frozen=True)
class WorkerSettings:
    index: int
    sip_bind: str = "0.0.0.0"
    sip_port: int = 0
    log_level: int = 1
    nameservers: tuple[str, ...] = ()
    public_address: str | None = None
    tls_ca_file: str | None = None
    calls_per_trunk: int = 30
    calls_per_worker: int = 50
    # REGISTERs a second this worker sends to one PBX address (RegisterPacer), and the burst.
    registers_per_second: float = 50.0
    registration_expires: int = 300
    keepalive_seconds: float = 20.0
    bindings_check_seconds: float = 25.0
    targets: TargetPolicy = ANY_TARGET
    max_silence: float = MAX_SILENCE


@dataclass(eq=False)  # a slot is one account: compared (in/remove) by identity
class TrunkSlot:
    """A held trunk: its pjsua2 account (kept referenced, as pjsua2 requires) and its driver."""

    hold: Hold
    driver: RegistrationDriver
    routing: CallRouting
    matcher: Matcher
    serial: int = field(default_factory=itertools.count(1).__next__)
    account: object = None
    # The PBX's addresses (resolved, then also whoever answered our REGISTER), shared by the
    # inbound policy and the challenge policy of this generation.
    pbx: PbxAddresses = field(default_factory=PbxAddresses)
    challenges: ChallengePolicy | None = None
    lookup: PendingLookup | None = None  # the registrar's name being resolved
    # Where REGISTERs may go, in the order to try them (edge/resolver.py: SRV targets, their
    # addresses), each with its port; set while the supervisor checks them, and kept.
    hops: tuple[tuple[str, int], ...] = ()
    checking: bool = False  # the supervisor checks the registration claim of `hops`
    pinned_hop: int = 0  # the hop the account sends to (the driver's `hop` says where next)
    challenge_refused: str | None = None  # why the last REGISTER challenge went unanswered
    registrar: str = ""  # the address REGISTERs go to: what RegisterPacer paces by
    pbx_address: tuple = ()  # where its keepalive goes: what KeepaliveBoard shares by
    paced: bool = False  # a REGISTER waits for the PBX's allowance
    # A new generation of a trunk registers only once the previous one's un-REGISTER was
    # answered: both carry the same Contact, and a PBX that handles the two in parallel (Kamailio
    # does, with several UDP processes) could otherwise apply the un-REGISTER last and leave the
    # extension unregistered while we report Registered.
    awaiting_unregister: bool = False
    leave_by: float | None = None  # set when un-registering: let go by then at the latest
    unregistered: bool = False
    released: bool = False  # the supervisor was told (Released): the lease can go
    stood_down: bool = False  # another device took the extension: un-registered, not refreshing
    check_challenged: bool = False  # the bindings check in flight was challenged once already
    notify: bool = True  # send Released when done (not when replaced by a new generation)


@dataclass
class Worker:
    conn: Connection
    settings: WorkerSettings
    gate: object = None  # edge/lease.py LeaseGate: which lease may register, until when
    slots: dict[str, TrunkSlot] = field(default_factory=dict)
    leaving: list[TrunkSlot] = field(default_factory=list)
    calls: dict[int, object] = field(default_factory=dict)         # pj call id → session
    call_slots: dict[int, TrunkSlot] = field(default_factory=dict)  # pj call id → its trunk slot
    up: set[int] = field(default_factory=set)  # answered calls the supervisor knows (CallUp)
    stopping: bool = False
    hangup_by: float | None = None  # while stopping: calls still up then are hung up
    terminated: bool = False  # SIGTERM: stop now, calls included
    next_trunk_tick: float = 0.0  # when _tick next looks at the trunks (TRUNK_TICK_EVERY)
    keepalives: KeepaliveBoard | None = None

    def start(self) -> None:
        """The endpoint, its transports and the guards; raises pj.Error if pjsua cannot start."""
        from .media.loop import LoopThread
        from .media.prompts import apology
        from .sip.endpoint import create_endpoint, create_transports, prefer_g711
        from .sip.guard import RequestGuard
        from .sip.log import RedactingLogWriter

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides when we stop
        # Only a flag: the loop acts on it, never a handler in the middle of a pjsua callback.
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "terminated", True))
        self.log_writer = RedactingLogWriter()
        self.ep = create_endpoint(self.settings.log_level, self.settings.nameservers,
                                  log_writer=self.log_writer)
        self.transports = create_transports(self.ep, self.settings.sip_bind, self.settings.sip_port,
                                            self.settings.public_address,
                                            self.settings.tls_ca_file)
        self.policy = InboundPolicy(on_refusal=_log_refusal)
        self.guard = RequestGuard(self.policy)
        self.guard.install()  # before libStart: not one request gets past it unseen
        self.ep.select_account = self._select_account
        self.own_addresses = frozenset(self.ep.transportGetInfo(tid).localName
                                       for tid in self.transports.values())
        self.resolver = Resolver(dns_lookup(self.settings.nameservers),
                                 srv=dns_srv_lookup(self.settings.nameservers))
        rate = self.settings.registers_per_second
        self.pacer = RegisterPacer(rate=rate, burst=max(1.0, rate))
        # An answer serves trunks due within half their interval: none acts on news older.
        self.keepalives = KeepaliveBoard(fresh_for=self.settings.keepalive_seconds / 2)
        self.ep.libStart()
        self.ep.audDevManager().setNullDev()
        prefer_g711(self.ep)
        self.loop = LoopThread().start()
        self.apology = apology

    def run(self) -> None:
        self.conn.send(Ready(os.getpid()))
        next_beat = 0.0
        while not (self.stopping and not self.slots and not self.leaving and not self.calls):
            self.ep.libHandleEvents(PUMP_MS)
            self._read_commands()
            if self.terminated:
                self.terminated = False
                self._begin_shutdown(0.0)
            self._tick()
            if time.monotonic() >= next_beat:
                self.conn.send(Heartbeat(held=len(self.slots), calls=len(self.calls),
                                         refused=self.policy.refused,
                                         dropped=self.policy.dropped))
                next_beat = time.monotonic() + HEARTBEAT_EVERY
        self._destroy()

    # --- commands from the supervisor ---
    def _read_commands(self) -> None:
        try:
            while self.conn.poll():
                self._dispatch(self.conn.recv())
        except (EOFError, OSError):
            self._begin_shutdown(0.0)  # the supervisor is gone: let go of everything now

    def _dispatch(self, message) -> None:
        if isinstance(message, Hold):
            self._hold(message)
        elif isinstance(message, Route):
            slot = self.slots.get(message.trunk_id)
            if slot:
                slot.routing, slot.matcher = message.routing, Matcher(message.routing.entries)
                logger.info("call routing applied; from the next call", extra={
                    "trunk_id": message.trunk_id, "agent_id": _agent_id(message.routing)})
        elif isinstance(message, Release):
            slot = self.slots.pop(message.trunk_id, None)
            if slot:
                self._leave(slot)
            else:
                self.conn.send(Released(message.trunk_id))
        elif isinstance(message, ExtensionChecked):
            self._extension_checked(message)
        elif isinstance(message, Shutdown):
            self._begin_shutdown(message.calls_for)

    def _begin_shutdown(self, calls_for: float) -> None:
        """Un-register every trunk now (the PBX stops sending new calls, the leases go back and
        another edge registers the extensions); calls in progress go on until they end or
        `calls_for` seconds have passed. A second shutdown can only shorten that wait."""
        self.stopping = True
        hangup_by = time.monotonic() + calls_for
        self.hangup_by = min(hangup_by, self.hangup_by or hangup_by)
        if self.calls:
            logger.info("draining: un-registering, calls in progress may finish",
                        extra={"calls": len(self.calls), "wait_seconds": calls_for})
        for trunk_id in list(self.slots):
            self._leave(self.slots.pop(trunk_id))

    def _hold(self, hold: Hold) -> None:
        current = self.slots.get(hold.trunk_id)
        if current and current.hold.generation == hold.generation:
            return
        if current:
            current.notify = False
            self._leave(self.slots.pop(hold.trunk_id))
        tid = hold.trunk_id
        driver = RegistrationDriver(monotonic=time.monotonic,
                                    keepalive_every=self.settings.keepalive_seconds,
                                    bindings_every=self.settings.bindings_check_seconds)
        slot = TrunkSlot(hold, driver, hold.routing,
                         Matcher(hold.routing.entries),
                         pbx=PbxAddresses.of((), hold.account.pbx_source_addresses))
        slot.challenges = ChallengePolicy(slot.pbx)
        self.slots[tid] = slot
        self.policy.hold(slot.serial, hold.account.extension, slot.pbx, contact_token(tid))
        self._report(slot, slot.driver.begin_attempt())
        slot.lookup = self._look_up(hold.account)
        logger.info("resolving the registrar", extra={"trunk_id": tid,
                                                      "generation": hold.generation,
                                                      "slot": slot.serial})

    def _resolved(self, slot: TrunkSlot) -> None:
        """The registrar's name resolved and the claim is ours: create the account, pinned to
        the best next hop, and register."""
        hold, tid = slot.hold, slot.hold.trunk_id
        for address, _ in slot.hops:
            slot.pbx.learn(parse_source(address))
        # TLS: pjsua resolves the name itself (the certificate names it): nothing to move to.
        slot.driver.resolved(1 if hold.account.transport is Transport.TLS else len(slot.hops))
        if not self._create_account(slot):
            return
        slot.awaiting_unregister = self._unregistering(tid)  # if so, _tick registers it later
        logger.info("registering", extra={"trunk_id": tid, "generation": hold.generation,
                                          "slot": slot.serial,
                                          "after_unregister": slot.awaiting_unregister,
                                          "agent_id": _agent_id(hold.routing)})
        if not slot.awaiting_unregister:
            self._register(slot)

    def _create_account(self, slot: TrunkSlot) -> bool:
        """The trunk's pjsua account, sending to the driver's next hop; False (reported) when
        pjsua refuses it."""
        import pjsua2 as pj

        from .sip.account import TrunkAccount, account_config, registrar_uri
        from .sip.endpoint import transport_for

        hold, tid = slot.hold, slot.hold.trunk_id
        slot.pinned_hop = slot.driver.hop
        address, port = slot.hops[slot.pinned_hop]
        slot.registrar = address
        slot.pbx_address = (registrar_uri(hold.account), hold.account.outbound_proxy,
                            address, port)
        # Callbacks name their slot by serial, not (trunk, generation): a trunk let go and
        # claimed again has two accounts of the same generation for a moment. (A serial rather
        # than the slot itself keeps slot → account → callback free of a reference cycle.)
        serial = slot.serial
        slot.account = account = TrunkAccount(
            on_reg_state=lambda code, reason, expires, source, text: self._on_reg_state(
                serial, code, reason, expires, source, text),
            on_incoming_call=lambda call_id, invite, source: self._on_incoming_call(
                serial, call_id, invite, source),
            on_challenge=lambda source, response: self._on_challenge(serial, source, response),
            on_sent=lambda method, code, text, source: self._on_sent(
                serial, method, code, text, source))
        pinned = None if hold.account.transport is Transport.TLS else address
        try:
            account.create(account_config(
                hold.account, hold.password, transport_for(self.transports, hold.account),
                bind=None if self.settings.sip_bind == "0.0.0.0" else self.settings.sip_bind,
                public=self.settings.public_address, pinned=pinned,
                token=contact_token(tid), expires=self.settings.registration_expires,
                pinned_port=port))
        except pj.Error as err:
            slot.account = None
            logger.error("pjsua2 refused the account", extra={"trunk_id": tid,
                                                             "pj_error": err.info()})
            self._report(slot, slot.driver.on_response(500, f"Account setup failed: {err.reason}",
                                                       0))
            return False
        return True

    def _move_to_next_hop(self, slot: TrunkSlot) -> bool:
        """The driver moved on to another next hop (RFC 3263 failover): replace the account by
        one that sends there. Its calls would lose their account with it, so a slot with calls
        stays where it is. False when no account could be made."""
        if any(s is slot for s in self.call_slots.values()):
            slot.driver.hop = slot.pinned_hop
            return True
        logger.warning("no answer from the registrar's next hop; trying the next", extra={
            "trunk_id": slot.hold.trunk_id, "from": "%s:%s" % slot.hops[slot.pinned_hop],
            "to": "%s:%s" % slot.hops[slot.driver.hop]})
        # Deleting it abandons its REGISTER in flight (pjsip stops retransmitting it); one
        # that was answered (a refusal) is not followed by an un-REGISTER of ours there, since
        # the REGISTER added nothing.
        self._abandon_keepalive(slot)
        slot.account.destroy()
        slot.account = None
        return self._create_account(slot)

    def _unregistering(self, trunk_id: str) -> bool:
        """An earlier account of this trunk still waits for the PBX to answer its un-REGISTER."""
        now = time.monotonic()
        return any(s.hold.trunk_id == trunk_id and not s.unregistered and now < s.leave_by
                   for s in self.leaving)

    def _register(self, slot: TrunkSlot) -> None:
        """Send REGISTER now if the PBX's allowance (RegisterPacer) has room; else `_tick`
        sends it when it has. The attempt's clock starts when it goes out (begin_attempt; a
        repeated Connecting is not reported twice), so waiting for our turn is never shown
        as the PBX not answering."""
        import pjsua2 as pj

        if self.gate is not None and not self.gate.allows(slot.hold.incarnation,
                                                          time.monotonic()):
            return  # the lease ran out: _keep_to_the_lease lets the trunk go
        if slot.account is None:  # the name never resolved: look it up again
            self._report(slot, slot.driver.begin_attempt())
            slot.lookup = self._look_up(slot.hold.account)
            return
        if slot.driver.hop != slot.pinned_hop and not self._move_to_next_hop(slot):
            return
        slot.paced = not self.pacer.take(slot.registrar, time.monotonic())
        if slot.paced:
            return
        self._report(slot, slot.driver.begin_attempt())
        slot.challenge_refused = None
        try:
            slot.account.setRegistration(True)
        except pj.Error as err:
            self._report(slot, slot.driver.on_response(503, err.reason or err.info(), 0))

    def _leave(self, slot: TrunkSlot) -> None:
        """Un-register, then drop the account once the PBX answered (or a timeout passed)."""
        import pjsua2 as pj

        slot.leave_by = time.monotonic() + UNREGISTER_TIMEOUT
        slot.lookup, slot.checking = None, False
        self.leaving.append(slot)
        if slot.notify:  # let go for good, not replaced by a new generation: say so at once
            self._report(slot, RegistrationObserved(state=RegistrationState.CONNECTING,
                                                    problem=Problem.NO_EDGE))
        logger.info("un-registering", extra={"trunk_id": slot.hold.trunk_id,
                                             "generation": slot.hold.generation,
                                             "slot": slot.serial})
        if slot.account is None:  # never registered: nothing to un-register
            slot.unregistered = True
            return
        try:
            if slot.account.getInfo().regIsActive:
                slot.account.setRegistration(False)
                return
        except pj.Error:
            pass
        slot.unregistered = True  # nothing to un-register: drop it on the next tick

    # --- pjsua2 callbacks ---
    def _slot(self, serial: int) -> TrunkSlot | None:
        return next((s for s in [*self.slots.values(), *self.leaving] if s.serial == serial), None)

    def _on_reg_state(self, serial: int, code: int, reason: str, expires: int,
                      source: str = "", text: str = "") -> None:
        slot = self._slot(serial)
        if slot is None:
            return
        if slot in self.leaving:
            # Done once the un-REGISTER is answered (expiration 0) or failed; a 2xx with an
            # expiry answers a REGISTER that was still in flight.
            if code // 100 != 2 or expires <= 0:
                slot.unregistered = True
            return
        if self.slots.get(slot.hold.trunk_id) is slot:
            logger.info("registration response", extra={
                "trunk_id": slot.hold.trunk_id, "sip_code": code, "reason": reason,
                "expires": expires})
            if code in (401, 407) and slot.challenge_refused:
                # Our refusal to answer (domain/registration.py: Problem.CHALLENGE), not the PBX
                # refusing the password.
                reason = f"{CHALLENGE_REFUSED}: {slot.challenge_refused}"
            elif source and code // 100 == 2:
                answered = parse_source(source)
                refused = refusal(self.settings.targets, [str(answered)] if answered else [],
                                  f"The domain {slot.hold.account.domain}")
                if refused:  # TLS: pjsua resolved the name itself, and got another answer
                    self._unregister_refused(slot)
                    code, reason = 403, f"{TARGET_REFUSED}: {refused}"
                else:
                    slot.pbx.learn(answered)  # the registrar answered from there
            found = self._bindings(slot, text) if code // 100 == 2 and expires > 0 else None
            self._report(slot, slot.driver.on_response(code, reason, expires, found))
            self._stand_down_if_taken(slot)

    # --- keeping watch: keepalive and bindings check (edge/registration.py) ---
    def _bindings(self, slot: TrunkSlot, response: str):
        from .sip.invite import bindings

        return classify_bindings(bindings(response), contact_token(slot.hold.trunk_id),
                                 self.own_addresses)

    def _stand_down_if_taken(self, slot: TrunkSlot) -> None:
        """Another device took the extension: un-register our Contact (the PBX dropped it
        already; an un-REGISTER of it leaves the other device's alone) so pjsua stops
        refreshing, which would take the extension back."""
        import pjsua2 as pj

        if not slot.driver.standing_down:
            slot.stood_down = False
            return
        if slot.stood_down or slot.account is None:
            return
        slot.stood_down = True
        logger.warning("another device registered the extension; standing down",
                       extra={"trunk_id": slot.hold.trunk_id})
        try:
            slot.account.setRegistration(False)
        except pj.Error:
            pass

    def _watch(self, slot: TrunkSlot) -> None:
        """Send the keepalive (or share another trunk's, edge/keepalive.py) and the bindings
        check when the driver says so."""
        from .sip.account import registrar_uri

        account = slot.hold.account
        if slot.driver.keepalive_due():
            ask = self.keepalives.ask(slot.pbx_address, slot.serial, time.monotonic())
            if ask is Ask.ANSWERED:
                self._on_keepalive(slot, True, self.keepalives.last_answer(slot.pbx_address))
            elif ask is Ask.SEND:
                self._send(slot, "OPTIONS", registrar_uri(account))
        if slot.driver.bindings_check_due():
            slot.check_challenged = False
            self._send(slot, "REGISTER", registrar_uri(account, account.extension))

    def _send(self, slot: TrunkSlot, method: str, target: str) -> None:
        import pjsua2 as pj

        try:
            slot.account.send(method, target)
        except pj.Error as err:
            logger.warning("could not send", extra={"trunk_id": slot.hold.trunk_id,
                                                    "method": method, "pj_error": err.info()})
            self._on_sent(slot.serial, method, 503, "", "")

    def _on_sent(self, serial: int, method: str, code: int, text: str, source: str) -> None:
        if method == "OPTIONS":
            self._keepalive_answered(serial, bool(text))
            return
        slot = self._slot(serial)
        if slot is None or self.slots.get(slot.hold.trunk_id) is not slot:
            return
        if code in (401, 407) and text and not slot.check_challenged:
            self._answer_check_challenge(slot, code, text, source)
            return
        found = self._bindings(slot, text) if code // 100 == 2 else None
        self._after_watch(slot, *slot.driver.on_bindings(found))

    def _keepalive_answered(self, sender: int, answered: bool) -> None:
        """The OPTIONS `sender` sent got any answer (`answered`) or none: every trunk that
        waited for it hears so, whether or not `sender` is still held."""
        waiting = self.keepalives.answered(sender, answered, time.monotonic())
        for slot in self._current(waiting):
            self._on_keepalive(slot, answered)

    def _on_keepalive(self, slot: TrunkSlot, answered: bool, at: float | None = None) -> None:
        self._after_watch(slot, *slot.driver.on_keepalive(answered, at))

    def _abandon_keepalive(self, slot: TrunkSlot) -> None:
        """`slot`'s account goes, with the keepalive others may wait for: they ask again."""
        for other in self._current(self.keepalives.abandon(slot.serial)):
            other.driver.keepalive_lost()

    def _current(self, serials: set[int]) -> list[TrunkSlot]:
        """The slots of `serials` that are still their trunk's current one."""
        return [s for s in self.slots.values() if s.serial in serials] if serials else []

    def _after_watch(self, slot: TrunkSlot, observed, then: Next) -> None:
        self._report(slot, observed)
        if then is Next.REGISTER:
            logger.info("registering again: the PBX is back or forgot the registration",
                        extra={"trunk_id": slot.hold.trunk_id})
            self._register(slot)
        elif then is Next.STAND_DOWN:
            self._stand_down_if_taken(slot)

    def _answer_check_challenge(self, slot: TrunkSlot, code: int, text: str,
                                source: str) -> None:
        """The bindings check's REGISTER was challenged: answer it like pjsua answers ours,
        if the challenge policy allows (the registrar's address and realm), once."""
        import pjsua2 as pj

        from .sip.digest import Challenge, Unsupported, authorization
        from .sip.invite import parse_headers

        slot.check_challenged = True
        if slot.challenges is None or not slot.challenges.answer(source, text):
            slot.driver.on_bindings(None)
            return
        _, headers = parse_headers(text)
        from .sip.account import registrar_uri

        proxy = code == 407
        account = slot.hold.account
        target = registrar_uri(account, account.extension)
        try:
            challenge = Challenge.parse(
                headers["proxy-authenticate" if proxy else "www-authenticate"][0], proxy)
            name, value = authorization(challenge, "REGISTER", target, account.username,
                                        slot.hold.password)
            slot.account.send("REGISTER", target, {name: value})
        except (KeyError, Unsupported, pj.Error) as err:
            logger.warning("bindings check not possible", extra={
                "trunk_id": slot.hold.trunk_id, "why": type(err).__name__})
            slot.driver.on_bindings(None)

    def _unregister_refused(self, slot: TrunkSlot) -> None:
        import pjsua2 as pj

        try:
            slot.account.setRegistration(False)
        except pj.Error:
            pass

    def _on_challenge(self, serial: int, source: str, response: str) -> bool:
        """A 401/407 to one of this trunk's requests: answer only the registrar's."""
        slot = self._slot(serial)
        if slot is None or slot.challenges is None:
            return False
        if slot.challenges.answer(source, response):
            return True
        why = slot.challenges.refused[-1]
        logger.warning("challenge not answered", extra={"trunk_id": slot.hold.trunk_id,
                                                        "why": why})
        if challenge_of(response)[0] == "REGISTER":
            slot.challenge_refused = why
        return False

    def _select_account(self, request: str, source: str) -> int | None:
        """The account of the trunk an incoming request is for (EdgeEndpoint.onSelectAccount)."""
        serial = self.policy.owner(token_of(request), source, request_user_of(request))
        slot = self._slot(serial) if serial is not None else None
        if slot is None or slot.account is None:
            return None
        return slot.account.getId()

    def _on_incoming_call(self, serial: int, call_id: int, invite: str, source: str) -> None:
        from .call_session import CallSession, TrunkContext
        from .sip.call import InboundCall
        from .sip.invite import parse_invite

        slot = self._slot(serial)
        trunk_id = slot.hold.trunk_id
        call = InboundCall(slot.account, call_id)
        call.invite_message = invite  # with the 2xx we send, its dialog (_report_up)
        hold = slot.hold
        from_pbx = self.policy.is_pbx(slot.serial, parse_source(source))
        info = parse_invite(invite, hold.account.extension, trusted=from_pbx)
        agent, number = slot.routing.for_call(info.candidates)
        context = TrunkContext(hold.tenant_id, trunk_id, hold.account.extension,
                               hold.account.domain, agent, slot.routing.entries, slot.matcher,
                               slot.routing.answer_delay)
        if number is not None:
            info = replace(info, dialled=number.e164)
        session = CallSession(call, context, info, self.loop,
                              report=lambda payload: self._report(slot, payload),
                              apology=self.apology, targets=TargetGuard(self.settings.targets),
                              max_silence=self.settings.max_silence)
        call.session = session
        if not from_pbx:
            # Another held trunk's PBX (the guard let it in for that one), not this trunk's:
            # refused like any outsider, with no call record.
            session.refuse_unrecorded(403)
            self.calls[call_id] = session
            self.call_slots[call_id] = slot
            return
        in_worker = len(self.calls)
        on_trunk = sum(1 for s in self.call_slots.values() if s.hold.trunk_id == trunk_id)
        self.calls[call_id] = session
        self.call_slots[call_id] = slot
        logger.info("incoming call", extra={"trunk_id": trunk_id, "call_id": session.call_id,
                                            "caller": session.invite.caller.number,
                                            "dialled": session.invite.dialled})
        if self.stopping or slot is not self.slots.get(trunk_id):
            session.reject(486, CallOutcome.BUSY, ErrorSource.CAPACITY,
                           "Call refused while the edge was handing the trunk over.", BUSY_HINT)
        elif context.agent is None:
            session.reject(480, CallOutcome.NO_AGENT, ErrorSource.ROUTING,
                           "No agent linked to this trunk.", NO_AGENT_HINT,
                           reason="No Agent Linked")
        elif on_trunk >= self.settings.calls_per_trunk:
            session.reject(486, CallOutcome.BUSY, ErrorSource.CAPACITY,
                           f"Call refused: already {on_trunk} calls on this extension.", BUSY_HINT)
        elif in_worker >= self.settings.calls_per_worker:
            session.reject(486, CallOutcome.BUSY, ErrorSource.CAPACITY,
                           "Call refused: the edge serving this extension is at its call "
                           "capacity.", BUSY_HINT)
        else:
            session.offer()

    # --- time ---
    def _tick(self) -> None:
        self._keep_to_the_lease()
        now = time.monotonic()
        if now >= self.next_trunk_tick:
            self.next_trunk_tick = now + TRUNK_TICK_EVERY
            self._tick_trunks()
        self._tick_calls()

    def _tick_trunks(self) -> None:
        for trunk_id, slot in list(self.slots.items()):
            if slot.lookup is not None:
                self._poll_lookup(slot)
            if slot.lookup is not None or slot.checking:
                continue  # no REGISTER yet: the name resolves, or the supervisor checks it
            if slot.paced:  # waiting for the PBX's allowance: no "not answering" hint
                self._register(slot)
                continue
            if slot.awaiting_unregister:
                if self._unregistering(trunk_id):
                    continue
                slot.awaiting_unregister = False
                self._register(slot)
            observed, register_now = slot.driver.tick()
            self._report(slot, observed)
            if register_now:
                self._register(slot)
            elif slot.account is not None:
                self._watch(slot)

    def _tick_calls(self) -> None:
        now = time.monotonic()
        if self.hangup_by is not None and now >= self.hangup_by and self.calls:
            self._cut_calls()
        for call_id, session in list(self.calls.items()):
            session.tick()
            if session.ended:
                del self.calls[call_id]
                self.call_slots.pop(call_id, None)
                self.up.discard(call_id)
                session.release()
            elif call_id not in self.up and session.answered_at is not None:
                self._report_up(call_id, session)
        for slot in list(self.leaving):
            if not slot.released and (slot.unregistered or now >= slot.leave_by):
                slot.released = True
                if slot.notify:
                    self.conn.send(Released(slot.hold.trunk_id))
            if slot.released and slot not in self.call_slots.values():
                self.leaving.remove(slot)
                self._drop(slot)

    def _keep_to_the_lease(self) -> None:
        """Un-register every trunk held under an edge lease that is past its deadline (or no
        longer the edge's): on this process's own clock, every pump turn, whatever the
        supervisor is doing, so another edge that claims the trunks once the lease expired
        never finds us still registered (edge/lease.py). Calls in progress go on."""
        if self.gate is None:
            return
        now = time.monotonic()
        gate = self.gate.read()  # once a turn: a read takes the shared lock
        if all(gate.allows(s.hold.incarnation, now) for s in self.slots.values()):
            return
        for trunk_id, slot in list(self.slots.items()):
            if not gate.allows(slot.hold.incarnation, now):
                logger.warning("the edge's lease ran out; un-registering",
                               extra={"trunk_id": trunk_id})
                self._leave(self.slots.pop(trunk_id))

    def _report_up(self, call_id: int, session) -> None:
        """The call is answered: tell the supervisor how to end it and list it, should this
        process die while it is up (edge/dialogs.py)."""
        self.up.add(call_id)
        slot = self.call_slots.get(call_id)
        if slot is None or session.unrecorded:
            return
        call, account = session.call, slot.hold.account
        answer = getattr(call, "answer_message", None)
        dialog = Dialog.answered(call.invite_message, answer, account.transport.value) \
            if answer else None
        if dialog is None:
            logger.warning("no dialog state for the call; the supervisor could not end it",
                           extra={"call_id": session.call_id})
        caller = session.invite.caller
        record = CallEnded(
            call_id=session.call_id, sip_call_id=session.invite.sip_call_id,
            extension=account.extension, caller=PartyInfo(number=caller.number,
                                                          name=caller.name),
            dialled=session.invite.dialled,
            agent_id=session.trunk.agent.agent_id if session.trunk.agent else None,
            started_at=session.started_at, answered_at=session.answered_at,
            ended_at=session.answered_at, outcome=CallOutcome.EDGE_FAILED)
        self.conn.send(CallUp(slot.hold.trunk_id, slot.hold.generation, record, dialog,
                              account.tls_verify))

    def _cut_calls(self) -> None:
        """The drain's wait is over: hang up what is left, and say so in Diagnostics."""
        self.hangup_by = None
        for session in list(self.calls.values()):
            if session.answered_at is not None and not session.ended:
                session.report_error(ErrorSource.EDGE, "Call ended by us: the edge was "
                                     "shutting down and the call was still in progress.",
                                     CUT_HINT)
            session.driver.cut_off()
            session.hangup()

    def _look_up(self, account):
        """Resolve the next hop (the outbound proxy, else the registrar): by its SRV records
        first when no port was given (RFC 3263), edge/resolver.py."""
        from .resolver import SRV_SERVICES
        from .sip.account import next_hop

        name, port = next_hop(account)
        return self.resolver.start(name, None if port else SRV_SERVICES[account.transport.value])

    def _poll_lookup(self, slot: TrunkSlot) -> None:
        """The registrar's look-up, once done: its addresses go to the supervisor, which
        claims the registration identity before any REGISTER (ExtensionChecked answers); a
        failure is reported like a registration failure and retried with back-off."""
        try:
            found = slot.lookup.result(time.monotonic())
        except LookupFailed as failed:
            slot.lookup = None
            logger.warning("registrar lookup failed", extra={"trunk_id": slot.hold.trunk_id,
                                                             "why": str(failed)})
            self._report(slot, slot.driver.on_response(502, str(failed), 0))
            return
        if found is None:
            return
        account = slot.hold.account
        given = _given_port(account)
        hops = tuple((address, port or given) for address, port in found)
        slot.lookup = None
        addresses = list(dict.fromkeys(address for address, _ in hops))
        refused = refusal(self.settings.targets, addresses,
                          f"The outbound proxy {account.outbound_proxy}"
                          if account.outbound_proxy else f"The domain {account.domain}")
        if refused:  # DNS may say otherwise than when the API checked it (rebinding)
            logger.warning("registrar address refused", extra={"trunk_id": slot.hold.trunk_id})
            self._report(slot, slot.driver.on_response(403, f"{TARGET_REFUSED}: {refused}", 0))
            return
        slot.hops, slot.checking = hops, True
        # Through a proxy (perhaps a hosted PBX's, shared by many customers) the registrar is
        # the domain, whatever the proxy's address: that names the registration. Otherwise
        # every next hop does: a failover stays within what was claimed.
        self.conn.send(RegistrarResolved(
            slot.hold.trunk_id, slot.hold.generation,
            ((account.domain.lower(), hops[0][1]),) if account.outbound_proxy else hops))

    def _extension_checked(self, message: ExtensionChecked) -> None:
        slot = self.slots.get(message.trunk_id)
        if slot is None or slot.hold.generation != message.generation or not slot.checking:
            return  # an answer about an earlier generation, or one let go meanwhile
        slot.checking = False
        if message.free:
            self._resolved(slot)
        else:
            logger.warning("extension registered by another trunk; not registering",
                           extra={"trunk_id": message.trunk_id})
            self._report(slot, slot.driver.on_response(409, EXTENSION_TAKEN, 0))

    def _drop(self, slot: TrunkSlot) -> None:
        """Delete the account once un-registered and none of its calls is left: pjsua2 keeps
        using a call's account (in-dialog requests, transfers) until the call ends."""
        self.policy.forget(slot.serial)
        if slot.account is not None:
            self._abandon_keepalive(slot)
            slot.account.destroy()

    def _report(self, slot: TrunkSlot, payload) -> None:
        if payload is not None:
            self.conn.send(Report(slot.hold.trunk_id, slot.hold.generation, payload))

    def _destroy(self) -> None:
        import pjsua2 as pj

        self.loop.stop()
        for session in self.calls.values():
            session.release()
        self.calls.clear()
        self.call_slots.clear()
        gc.collect()  # nothing of pjsua2's may be freed after libDestroy
        # Every account is un-registered by now; the default destroy waits ~1 s for network
        # clean-up we no longer need (docs/measurements/pjsua2-registration.md).
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_NETWORK)


def _given_port(account) -> int:
    """The next hop's port without an SRV record: the proxy's, else the trunk's."""
    from .sip.account import next_hop

    _, port = next_hop(account)
    return int(port) if port else account.port


def _log_refusal(refusal: Refusal) -> None:
    """At most once a minute per source address (InboundPolicy rate-limits the calls)."""
    logger.warning("request from outside the PBX refused", extra={
        "method": refusal.method, "source": refusal.source, "user": refusal.request_user,
        "answered": refusal.answered})


def _agent_id(routing: CallRouting) -> str | None:
    return routing.agent.agent_id if routing.agent else None


def main(conn: Connection, settings: WorkerSettings, gate=None) -> None:
    """Entry point of the spawned process. A worker that cannot even start (its SIP port is
    taken, the address cannot be bound) exits with CANNOT_START: restarting it would only fail
    the same way, so the supervisor stops the edge instead (edge/supervisor.py)."""
    import pjsua2 as pj

    logger.append_keys(worker=settings.index, pid=os.getpid())
    worker = Worker(conn, settings, gate)
    try:
        worker.start()
    except pj.Error as err:
        logger.error("worker cannot start", extra={
            "why": err.reason or err.info(), "sip_bind": settings.sip_bind,
            "sip_port": settings.sip_port})
        sys.exit(CANNOT_START)
    worker.run()
