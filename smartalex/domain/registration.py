"""Registration states, how a SIP outcome maps to them, and what the admin is told.

The edge reports raw facts (a SIP code, pjsua's reason text, or "no answer yet"); this module is
the single place that decides the admin-facing state, message and retry policy, so the edge,
the status handler and the API always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from .assignment import FleetRoom
from .edge_addresses import EdgeAddresses

# The reason the edge reports when it did not answer a REGISTER challenge (edge/challenges.py).
CHALLENGE_REFUSED = "Challenge not answered"
# The reason the edge reports when another trunk already registers this PBX extension
# (domain/assignment.py: registration claims).
EXTENSION_TAKEN = "Extension registered by another trunk"
# The reason the edge reports when the registrar resolves to an address it may not connect to
# (domain/targets.py; deployed stages only).
TARGET_REFUSED = "Address refused"
# How often a trunk whose extension another trunk registers checks again.
TAKEN_RETRY_SECONDS = 30.0
# A 403 is retried, but slowly: 5 min, doubling to at most 30 min (see retry_delay).
FORBIDDEN_RETRY_SECONDS = (300.0, 1800.0)
# Another device took the extension: tried again after 10 min, doubling to at most 1 h.
CONTACT_TAKEN_RETRY_SECONDS = (600.0, 3600.0)
# Problems retried on such a long back-off (see retry_delay).
SLOW_RETRIES = {"forbidden": FORBIDDEN_RETRY_SECONDS, "contact_taken": CONTACT_TAKEN_RETRY_SECONDS}
AUTH_MESSAGE = (
    "Authentication required — wrong username or password. "
    "Re-enter the credentials and click Re-register."
)


# What a trunk reads while no edge holds it (as_shown, and the edge that lets it go).
WAITING_FOR_EDGE = ("Waiting for an edge to take this extension: none holds it right now (a new "
                    "or changed trunk, or an edge restarting or handing it over). It registers "
                    "within seconds of one taking it; nothing to change on the PBX.")
NO_EDGE_FOR_LONG = ("No edge has taken this extension for {minutes} min: our edges may be at "
                    "capacity or restarting. It registers as soon as one has room; nothing to "
                    "change on the PBX.")
NO_CAPACITY = ("No capacity left: the edge that took this extension had no room for it and "
               "handed it back. It registers as soon as an edge has room; nothing to change on "
               "the PBX.")
FLEET_FULL = ("No capacity left: every edge is full, so none can take this extension yet. More "
              "are started automatically; it registers as soon as one has room, and nothing "
              "needs changing on the PBX.")
RAN_OUT = ("The registration ran out at {time} UTC without a refresh from the edge holding "
           "it, so calls may not reach the AI; the edge is registering again.")
# Edges claim unheld trunks every few seconds: longer than this unheld is not a hand-over.
LONG_WITHOUT_EDGE = timedelta(seconds=60)


class RegistrationState(StrEnum):
    CONNECTING = "connecting"
    REGISTERED = "registered"
    FAILED = "failed"


class Problem(StrEnum):
    """Why a registration is not (yet) up, in the troubleshooting guide's terms."""

    AUTH = "auth"
    # 403: on most PBXs not the password (3CX, Yeastar, FreePBX's firewall) but where we
    # register from, or a disabled extension.
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    DNS = "dns"
    NO_RESPONSE = "no_response"
    TLS = "tls"
    TLS_UNTRUSTED = "tls_untrusted"  # the handshake worked but the PBX's certificate is not trusted
    REFUSED = "refused"
    SERVER = "server"
    REJECTED = "rejected"
    NO_CREDENTIALS = "no_credentials"
    # A REGISTER challenge came from an address or realm that is not the registrar's
    # (edge/challenges.py): the edge did not answer it with the password.
    CHALLENGE = "challenge"
    # Another trunk (any tenant's) already registers this extension on this PBX.
    EXTENSION_TAKEN = "extension_taken"
    # The registrar resolves to a private, loopback, metadata... address (domain/targets.py).
    TARGET = "target_refused"
    # Another device (a desk phone, a softphone) registered the extension and the PBX dropped
    # our registration for it (edge/registration.py checks the PBX's list of bindings).
    CONTACT_TAKEN = "contact_taken"
    # A warning, not a failure: registered, but the PBX also keeps other devices' registrations
    # of the extension, which may ring too.
    SHARED = "shared"
    # No edge holds the trunk (a new trunk, an edge restarting, a hand-over): nobody registers
    # it until one takes it. Reported by an edge as it lets go, and read off the lease.
    NO_EDGE = "no_edge"
    # The edge that took the trunk had no room left for it and handed it back.
    NO_CAPACITY = "no_capacity"


@dataclass(frozen=True)
class RegistrationStatus:
    """What the API shows for a trunk's registration."""

    state: RegistrationState = RegistrationState.CONNECTING
    error: str | None = None
    warning: str | None = None  # registered, but something the admin should know
    sip_code: int | None = None
    since: datetime | None = None
    last_attempt_at: datetime | None = None
    expires_at: datetime | None = None

    def label(self, extension: str) -> str:
        if self.state is RegistrationState.REGISTERED:
            return f"Registered as ext {extension}"
        return "Failed" if self.state is RegistrationState.FAILED else "Connecting"


def as_shown(status: RegistrationStatus, lease_expires_at: float | None,
             now: datetime, fleet: FleetRoom | None = None) -> RegistrationStatus:
    """What a trunk's registration reads now: the edge's last report, held to the two facts
    that report cannot vouch for after the fact. Registered only while an edge holds an
    unexpired lease (`lease_expires_at`, epoch seconds; None or 0 when no edge has one) and the
    registration has not expired (`status.expires_at`); otherwise Connecting, with why. A
    Failed status stays Failed: its cause still needs the admin, whichever edge tries next.
    `fleet` (read only for a trunk no edge holds; None when unknown) tells "every edge is
    full" apart from a hand-over. Pure, so it survives any change in how leases are stored."""
    held = bool(lease_expires_at) and lease_expires_at > now.timestamp()
    if not held:
        if status.state is RegistrationState.FAILED:
            return status
        unheld_since = datetime.fromtimestamp(lease_expires_at, timezone.utc) \
            if lease_expires_at else (status.since
                                      if status.state is RegistrationState.CONNECTING else None)
        waited = now - unheld_since if unheld_since else timedelta(0)
        return replace(status, state=RegistrationState.CONNECTING,
                       error=_why_unheld(status, waited, fleet), warning=None, expires_at=None)
    if status.state is RegistrationState.REGISTERED and status.expires_at is not None \
            and status.expires_at <= now:
        ran_out = status.expires_at.astimezone(timezone.utc).strftime("%H:%M:%S")
        return replace(status, state=RegistrationState.CONNECTING,
                       error=RAN_OUT.format(time=ran_out), warning=None)
    return status


def _why_unheld(status: RegistrationStatus, waited: timedelta, fleet: FleetRoom | None) -> str:
    if fleet is not None and fleet.full:
        return FLEET_FULL
    if waited > LONG_WITHOUT_EDGE:
        return NO_EDGE_FOR_LONG.format(minutes=max(1, int(waited.total_seconds() // 60)))
    return status.error if status.error in (NO_CAPACITY, WAITING_FOR_EDGE) else WAITING_FOR_EDGE


_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")
# pjsip's PJSIP_TLS_ECERTVERIF: "SSL certificate verification error (PJSIP_TLS_ECERTVERIF)"
_UNTRUSTED_WORDS = ("ecertverif", "certificate verification", "certificate verify")
_DNS_WORDS = ("resolve", "dns", "host not found", "name not found", "nxdomain")
_REFUSED_WORDS = ("refused", "unreachable")
_TIMEOUT_WORDS = ("timed out", "timeout")


def classify(code: int | None, reason: str = "") -> Problem | None:
    """Map a REGISTER outcome to a Problem; None means it succeeded.

    pjsua reports transport failures as locally generated 4xx/5xx codes whose reason text says
    what happened (docs/measurements/pjsua2-registration.md), so the text is checked first.
    `code` None means the PBX has not answered at all yet.
    """
    text = (reason or "").lower()
    if text.startswith(CHALLENGE_REFUSED.lower()):
        return Problem.CHALLENGE
    if text.startswith(EXTENSION_TAKEN.lower()):
        return Problem.EXTENSION_TAKEN
    if text.startswith(TARGET_REFUSED.lower()):
        return Problem.TARGET
    if code is None or code == 408:
        return Problem.NO_RESPONSE
    if 200 <= code < 300:
        return None
    if code in (401, 407):
        return Problem.AUTH
    if code == 403:
        return Problem.FORBIDDEN
    if code == 404:
        return Problem.NOT_FOUND
    if any(word in text for word in _DNS_WORDS):
        return Problem.DNS
    if any(word in text for word in _TIMEOUT_WORDS):
        return Problem.NO_RESPONSE  # e.g. 503 "Operation timed out" when DNS gets no answer
    if any(word in text for word in _UNTRUSTED_WORDS):
        return Problem.TLS_UNTRUSTED
    if any(word in text for word in _TLS_WORDS):
        return Problem.TLS
    if any(word in text for word in _REFUSED_WORDS):
        return Problem.REFUSED
    if 500 <= code < 600:
        return Problem.SERVER
    return Problem.REJECTED


def state_for(problem: Problem | None) -> RegistrationState:
    """No answer keeps the trunk Connecting (with a hint); any definite refusal is Failed."""
    if problem is None or problem is Problem.SHARED:
        return RegistrationState.REGISTERED
    if problem in (Problem.NO_RESPONSE, Problem.NO_EDGE, Problem.NO_CAPACITY):
        return RegistrationState.CONNECTING
    return RegistrationState.FAILED


def retry_delay(problem: Problem, failures: int) -> float | None:
    """Seconds before the edge tries again, or None to wait for new credentials/Re-register.

    Retrying a wrong password only risks the PBX's fail2ban blocking our source IP, so
    authentication failures (401/407) wait for the admin. A 403 usually goes away when
    someone changes the PBX (an IP allowed, the extension enabled) without touching our
    side, so it is retried, slowly: 5 min, doubling to 30 min, which no fail2ban counts as
    an attack. An extension another device took is retried after 10 min, doubling to 1 h:
    each try takes the extension back from that device (on a PBX where the newest
    registration wins), so the edge does not fight for it; Re-register tries at once.
    Everything else backs off exponentially from 2 s to 2 min instead of pjsua's
    fixed 300 s; that includes a password we could not read, which is most often a passing
    error of the secret store.
    """
    if problem is Problem.AUTH:
        return None
    if problem.value in SLOW_RETRIES:
        first, cap = SLOW_RETRIES[problem.value]
        return min(first * 2 ** (max(failures, 1) - 1), cap)
    if problem is Problem.EXTENSION_TAKEN:
        return TAKEN_RETRY_SECONDS  # registers soon after the other trunk lets go
    return float(min(2 ** max(failures, 1), 120))


@dataclass(frozen=True)
class PbxWords:
    """A PBX's own words for messages (from its preset, domain/pbx_types.py)."""

    name: str
    credentials: str | None      # where its console shows the extension's SIP credentials
    outside_network: str | None  # what blocks registering from outside its network


@dataclass(frozen=True)
class Target:
    """Where the trunk registers, for wording messages."""

    domain: str
    port: int
    transport: str
    extension: str


def explain(problem: Problem | None, code: int | None, reason: str, target: Target,
            pbx: PbxWords | None = None, sources: EdgeAddresses | None = None) -> str | None:
    """The message an admin sees for a problem; None when there is nothing to say. With the
    PBX's words, the messages that send the admin into its console say where to look; with
    `sources`, the hints that ask for the PBX's firewall say which addresses to allow."""
    where = f"{target.domain}:{target.port} over {target.transport.upper()}"
    said = f"{code} {reason}".strip() if code else reason
    outside = (f" ({pbx.name}: {pbx.outside_network})" if pbx and pbx.outside_network else "")
    allow = f"our addresses {sources.allow()}" if sources and sources.addresses else \
        "our registration source addresses"
    messages = {
        Problem.AUTH: AUTH_MESSAGE + (f" {pbx.name} shows them {pbx.credentials}."
                                      if pbx and pbx.credentials else ""),
        Problem.FORBIDDEN: (
            f"The PBX at {target.domain} refused extension {target.extension} with {said}. "
            "This is rarely the password: most often the PBX blocks the address we register "
            f"from (its firewall, fail2ban or IP blocklist: allow {allow}), does not let this "
            f"extension register from outside its own network{outside}, or the extension is "
            "disabled. "
            "Some PBXs (Asterisk's chan_sip) also answer a wrong password this way. We try "
            "again in 5 minutes, then less often (at most every 30); click Re-register once "
            "it is fixed."
        ),
        Problem.NOT_FOUND: (
            f"Extension {target.extension} does not exist on the PBX at {target.domain} "
            "(404 Not Found). Create the extension on the PBX or correct the extension "
            "number, then click Re-register."
        ),
        Problem.DNS: (
            f"The domain {target.domain} does not resolve. Check its public DNS A record "
            "(or enter the PBX's public IP address), then click Re-register."
        ),
        Problem.NO_RESPONSE: (
            f"No answer from the PBX at {where} yet. Check that the domain is reachable from "
            f"the internet, that the PBX's firewall allows {allow}, and that extension "
            f"{target.extension} exists and is enabled."
        ),
        Problem.TLS: (
            f"The TLS handshake with {target.domain}:{target.port} failed ({reason}). Check that "
            "the PBX offers SIP over TLS on this port with a valid certificate, or choose UDP "
            "or TCP on port 5060."
        ),
        Problem.TLS_UNTRUSTED: (
            f"The PBX at {target.domain}:{target.port} presented a TLS certificate we do not "
            "trust: self-signed, expired, or issued for another name than "
            f"{target.domain}. Install a certificate from a public certificate authority on "
            "the PBX (or enter the name it was issued for as the domain), or set tls_verify to "
            "false on this trunk to accept the PBX's own certificate; then click Re-register."
        ),
        Problem.REFUSED: (
            f"The PBX at {where} refused the connection ({said}). Check the transport and the "
            "port: most PBXs use 5060 for UDP and TCP, and 5061 for TLS."
        ),
        Problem.SERVER: (
            f"The PBX answered {said} and could not handle the registration. We keep retrying; "
            "if this persists, check the PBX's logs and its extension or licence limits."
        ),
        Problem.REJECTED: (
            f"The PBX rejected the registration with {said}. Check the extension's settings on "
            "the PBX (registration allowed, IP restrictions), then click Re-register."
        ),
        Problem.CHALLENGE: (
            f"The PBX at {target.domain} asked for the password from an address or with a "
            "realm its registrar did not use when this extension registered, so we did not "
            "answer (a digest answer can be used to guess the password). If the PBX's address "
            "or SIP realm changed on purpose, click Re-register; otherwise check what sits "
            "between us and the PBX."
        ),
        Problem.EXTENSION_TAKEN: (
            f"Another account already registers extension {target.extension} on this PBX, so "
            "this trunk does not register: two registrations of one extension take each "
            "other's calls. Use another extension for the AI, or remove the other "
            "registration (it may be another SmartAlex account's trunk); this trunk registers "
            "by itself within a minute of the extension becoming free."
        ),
        Problem.TARGET: (
            (reason.split(": ", 1)[1] if ": " in reason else reason) + ". We look the domain "
            "up again before each attempt and keep retrying."
        ),
        Problem.CONTACT_TAKEN: (
            f"Another device registered as extension {target.extension} on the PBX at "
            f"{target.domain}, and the PBX dropped the AI's registration for it: calls to "
            f"{target.extension} ring that device, not the AI. Most often a desk phone or "
            "softphone was set up with the AI extension's credentials. Remove them from that "
            "device (or give the AI an extension of its own), then click Re-register. So as "
            "not to take the extension back and forth with that device, we try again only "
            "after 10 minutes, then at most every hour."
        ),
        Problem.SHARED: (
            f"Registered, but the PBX also keeps registrations of extension "
            f"{target.extension} from other devices ({reason or 'at least 1'} besides the "
            f"AI's): calls to "
            f"{target.extension} may ring those too, and whoever answers first takes the "
            "call. If the AI should be the only one, remove the extension's credentials from "
            "the other devices, or limit the extension to one registration on the PBX."
        ),
        Problem.NO_EDGE: WAITING_FOR_EDGE,
        Problem.NO_CAPACITY: NO_CAPACITY,
        Problem.NO_CREDENTIALS: (
            "The SIP password for this trunk could not be read. We keep retrying; if this "
            "persists, re-enter the password and click Re-register."
        ),
    }
    return messages.get(problem) if problem else None
