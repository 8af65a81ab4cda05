"""Edge settings, from the environment the ECS task definition (or devstack) sets."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from smartalex.adapters import names
from smartalex.domain.targets import TargetPolicy, policy_for_stage

# pjsua's compiled-in limit of calls per process (PJSUA_MAX_CALLS in
# edge/sip/native/config_site.h); pjsua silently caps a larger maxCalls, so no setting may ask
# for more.
MAX_CALLS_PER_PROCESS = 256
# A call where nobody says anything for this long (the agent sends and plays nothing, the
# caller's side carries no sound) is ended, so a hung agent cannot hold a line for ever
# (edge/call_session.py; docs/agent-protocol.md, "Timing").
MAX_SILENCE = 120.0


def _number(name: str, default, kind=int):
    """The variable as `kind` (int or float), `default` when unset; a clear stop otherwise."""
    raw = os.environ.get(name)
    try:
        return kind(raw) if raw else default
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SystemExit(f"{name} must be {what}, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int)


def _float(name: str, default: float) -> float:
    return _number(name, default, float)


def _nameservers() -> tuple[str, ...]:
    """DNS servers for the edge's look-ups of registrars (edge/resolver.py, off the SIP thread)
    and for pjsua's own asynchronous resolver (TLS registrars, whose certificate is checked
    against the name). Without them pjsua would resolve with the blocking getaddrinfo() inside
    the worker's event loop, and the edge's resolver has nothing to ask. Defaults to the host's
    resolv.conf."""
    raw = os.environ.get("SMARTALEX_EDGE_NAMESERVERS")
    if raw is not None:
        return tuple(ns.strip() for ns in raw.split(",") if ns.strip())
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        return ()
    found = [line.split()[1] for line in lines if line.startswith("nameserver ") and len(line.split()) > 1]
    return tuple(ns for ns in found if ":" not in ns)  # pjsua takes IPv4 addresses, port 53


def _public_address() -> str | None:
    if os.environ.get("SMARTALEX_EDGE_PUBLIC_ADDRESS"):
        return os.environ["SMARTALEX_EDGE_PUBLIC_ADDRESS"]
    path = os.environ.get("SMARTALEX_EDGE_PUBLIC_ADDRESS_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError as exc:
        raise SystemExit(f"SMARTALEX_EDGE_PUBLIC_ADDRESS_FILE {path} is unreadable: {exc}") from None


# Where Debian (the edge image) and RHEL-like systems keep the public CAs.
_CA_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def _tls_ca_file() -> str | None:
    """The CAs a PBX's TLS certificate is checked against (trunks with tls_verify true)."""
    path = os.environ.get("SMARTALEX_EDGE_TLS_CA_FILE")
    if path:
        if not Path(path).is_file():
            raise SystemExit(f"SMARTALEX_EDGE_TLS_CA_FILE {path} is not a readable file")
        return path
    return next((p for p in _CA_BUNDLES if Path(p).is_file()), None)


def _targets() -> TargetPolicy:
    """The stage's target policy; SMARTALEX_EDGE_PUBLIC_TARGETS_ONLY=1 applies the deployed
    stages' rule in any stage (it can only tighten), e.g. to check a local edge's refusals."""
    policy = policy_for_stage(names.stage(), names.vpc_cidrs())
    if os.environ.get("SMARTALEX_EDGE_PUBLIC_TARGETS_ONLY") == "1":
        return TargetPolicy(public_only=True, vpc_networks=policy.vpc_networks)
    return policy


def _edge_id() -> str:
    return os.environ.get("SMARTALEX_EDGE_ID") or \
        f"edge-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class EdgeSettings:
    edge_id: str = field(default_factory=_edge_id)
    # pjsua2 worker processes (each on its own SIP port pair). A crash takes down one worker's
    # trunks only; calls' audio, the real CPU cost, spreads over the processes.
    workers: int = field(default_factory=lambda: _int("SMARTALEX_EDGE_WORKERS", 4))
    # Registrations one worker holds (edge/placement.py): the edge holds workers × this. pjsua
    # allows up to 512 accounts per process (edge/sip/native/config_site.h); sized from
    # benchmarks/registration.py (docs/measurements/edge-capacity.md).
    trunks_per_worker: int = field(default_factory=lambda: _int(
        "SMARTALEX_EDGE_TRUNKS_PER_WORKER", 250))
    sip_bind: str = field(default_factory=lambda: os.environ.get("SMARTALEX_EDGE_SIP_BIND", "0.0.0.0"))
    # 0: each worker picks free ports. Otherwise worker i uses base+2i (UDP/TCP) and base+2i+1 (TLS),
    # which is the range the security group opens.
    sip_port_base: int = field(default_factory=lambda: _int("SMARTALEX_EDGE_SIP_PORT_BASE", 0))
    poll_seconds: float = field(default_factory=lambda: _float("SMARTALEX_EDGE_POLL_SECONDS", 2.0))
    health_file: Path = field(default_factory=lambda: Path(os.environ.get(
        "SMARTALEX_EDGE_HEALTH_FILE", "/tmp/smartalex-edge-health.json")))
    nameservers: tuple[str, ...] = field(default_factory=_nameservers)
    # MAX_SILENCE for this edge's calls (0: never end a call for silence).
    max_silence: float = field(default_factory=lambda: _float(
        "SMARTALEX_EDGE_MAX_SILENCE_SECONDS", MAX_SILENCE))
    # Loopback port of the built-in receptionist's WebSocket server (0: any free port).
    receptionist_port: int = field(default_factory=lambda: _int("SMARTALEX_RECEPTIONIST_PORT", 0))
    # The address PBXs reach us at (Contact, Via, SDP): the instance's Elastic IP, which the
    # host writes to a file at boot (infra/cdk/stacks/edge.py); unset locally.
    public_address: str | None = field(default_factory=lambda: _public_address())
    tls_ca_file: str | None = field(default_factory=_tls_ca_file)
    metrics_every: float = 60.0
    # On SIGTERM calls in progress get this long to end before they are hung up; with
    # graceful_seconds (un-registering, stopping workers) it fits ECS's stopTimeout of 120 s.
    call_drain_seconds: int = field(default_factory=lambda: _int(
        "SMARTALEX_EDGE_CALL_DRAIN_SECONDS", 90))
    graceful_seconds: float = 20.0
    # A worker silent for this long is hung: killed and replaced.
    heartbeat_timeout: float = 10.0
    # A worker not Ready this long after it was started is hung too. Longer than the heartbeat:
    # a worker's start (the interpreter, pjsua) takes a second or two of CPU, and several
    # starting at once on a busy task take longer.
    start_timeout: float = 60.0
    pjsip_log_level: int = field(default_factory=lambda: _int("SMARTALEX_EDGE_PJSIP_LOG_LEVEL", 1))
    # Concurrent calls one extension takes; the next gets 486 Busy Here (and a "Busy" record)
    # so the PBX's ring group, queue or voicemail takes it. A trunk's calls all run in the
    # worker that holds it, so this is at most calls_per_worker.
    calls_per_trunk: int = field(default_factory=lambda: _int("SMARTALEX_EDGE_CALLS_PER_TRUNK", 30))
    # Concurrent calls one worker process takes, whatever its trunks (486 beyond, as above).
    # The bridge costs about 0.4 % of a core per call (docs/measurements/edge-capacity.md), so
    # 4 workers x 50 = 200 calls keep a 2 vCPU task under one core of audio, with the rest
    # left for registrations and for a worker whose calls bunch up.
    calls_per_worker: int = field(default_factory=lambda: _int(
        "SMARTALEX_EDGE_CALLS_PER_WORKER", 50))
    # REGISTERs a second the edge sends to one PBX address, first attempts and retries
    # (edge/register_pacing.py; split between the workers). Refreshes are not held back.
    pbx_registers_per_second: float = field(default_factory=lambda: _float(
        "SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND", 50.0))
    # The Expires the edge asks for in REGISTER (the PBX may grant less); refreshed 60 s before
    # it runs out (edge/sip/account.py).
    registration_expires: int = field(default_factory=lambda: _int(
        "SMARTALEX_EDGE_REGISTRATION_EXPIRES", 300))
    # While registered: an OPTIONS keepalive to the registrar this often (a PBX that went away,
    # and came back without our registration), and a bindings check (another device took the
    # extension) this often and before each refresh (edge/registration.py). 20 s is also the
    # classic NAT keepalive; 25 s finds a taken extension, or a PBX that restarted too quickly
    # for the keepalive to see it away, within 30 s (benchmarks/registration_watch.py).
    keepalive_seconds: float = field(default_factory=lambda: _float(
        "SMARTALEX_EDGE_KEEPALIVE_SECONDS", 20.0))
    bindings_check_seconds: float = field(default_factory=lambda: _float(
        "SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS", 25.0))
    # Where the edge may connect (PBXs, agents): public addresses only in deployed stages, and
    # checked again right before connecting, whatever the API checked (smartalex/domain/targets.py).
    targets: TargetPolicy = field(default_factory=_targets)

    def __post_init__(self) -> None:
        if "#" in self.edge_id:  # it names the edge's lease, `<edge id>#<incarnation>`
            raise SystemExit(f"SMARTALEX_EDGE_ID may not contain '#', got {self.edge_id!r}")
        for name in ("workers", "trunks_per_worker", "calls_per_trunk", "calls_per_worker"):
            if getattr(self, name) < 1:
                raise SystemExit(f"SMARTALEX_EDGE_{name.upper()} must be at least 1, got "
                                 f"{getattr(self, name)}")
        if self.calls_per_worker > MAX_CALLS_PER_PROCESS:
            raise SystemExit(f"SMARTALEX_EDGE_CALLS_PER_WORKER can be at most "
                             f"{MAX_CALLS_PER_PROCESS} (pjsua's limit per process), got "
                             f"{self.calls_per_worker}")
        if not 120 <= self.registration_expires <= 3600:
            raise SystemExit("SMARTALEX_EDGE_REGISTRATION_EXPIRES must be 120 to 3600 seconds, "
                             f"got {self.registration_expires}")
        if not 1 <= self.keepalive_seconds <= 300:
            raise SystemExit("SMARTALEX_EDGE_KEEPALIVE_SECONDS must be 1 to 300 seconds, got "
                             f"{self.keepalive_seconds}")
        if not 1 <= self.bindings_check_seconds <= 3600:
            raise SystemExit("SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS must be 1 to 3600 seconds, "
                             f"got {self.bindings_check_seconds}")
        if self.pbx_registers_per_second <= 0:
            raise SystemExit("SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND must be above 0, got "
                             f"{self.pbx_registers_per_second}")

    def sip_port(self, worker_index: int) -> int:
        return self.sip_port_base + 2 * worker_index if self.sip_port_base else 0
