"""A trunk: one extension on one customer PBX that the AI registers as, like a desk phone."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from .assignment import Lease
from .registration import RegistrationStatus, Target


class PbxType(StrEnum):
    THREECX = "3cx"
    YEASTAR = "yeastar"
    FREEPBX = "freepbx"
    ASTERISK = "asterisk"
    GRANDSTREAM = "grandstream"
    OTHER = "other"


class Transport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"

    @property
    def default_port(self) -> int:
        return 5061 if self is Transport.TLS else 5060


# Changing any of these means the PBX must see a fresh REGISTER (the edge starts the trunk over
# with the new settings; for pbx_source_addresses that is what applies the new list).
REGISTRATION_FIELDS = frozenset({"domain", "extension", "username", "password", "transport", "port",
                                 "tls_verify", "pbx_source_addresses", "outbound_proxy"})


@dataclass(frozen=True)
class SipAccount:
    """Everything an edge needs to register, except the password (fetched from the secret store)."""

    domain: str
    extension: str
    username: str
    transport: Transport
    port: int
    # TLS only: check the PBX's certificate against public CAs. Off accepts any certificate
    # (a self-signed PBX): still encrypted, but not protected from an impostor.
    tls_verify: bool = True
    # Addresses or networks (CIDR) the PBX also sends calls from, besides the address its
    # domain resolves to (a PBX cluster, a separate media/signalling node). Empty: only the
    # registrar may start calls (edge/inbound_policy.py).
    pbx_source_addresses: tuple[str, ...] = ()
    # False: no port was given, so the edge looks the domain up as RFC 3263 says (SRV records
    # for the transport, then A) and uses `port` (the type's default) only when there are none.
    explicit_port: bool = True
    # Every request goes through this proxy (`host` or `host:port`; a hosted PBX's edge proxy)
    # instead of straight to the domain; None: straight to the domain.
    outbound_proxy: str | None = None

    @property
    def target(self) -> Target:
        return Target(self.domain, self.port, self.transport.value, self.extension)


@dataclass(frozen=True)
class Trunk:
    trunk_id: str
    tenant_id: str
    pbx_type: PbxType
    account: SipAccount
    label: str | None
    created_at: datetime
    updated_at: datetime
    # Bumps on every change the edge must act on, and on Re-register.
    generation: int = 1
    registration: RegistrationStatus = field(default_factory=RegistrationStatus)
    lease: Lease | None = None
    agent_id: str | None = None      # the one agent answering this trunk's calls
    directory_version: int = 0       # bumps on every directory change (edges refresh)
    bindings_version: int = 0        # bumps when phone numbers are bound or unbound
    agent_version: int = 0           # bumps when the linked agent's settings or secret change
    # Seconds the AI rings before answering, so a ring group or queue gives people a chance
    # first (edge/call_driver.py). Takes effect from the next call, without re-registering.
    answer_delay_seconds: int = 0
    # The ids of the numbers bound to it, written with every bind and unbind (None: a trunk
    # from before they were recorded). The edge reads the numbers through an index, which
    # DynamoDB updates a little later: this says when that read is complete
    # (phone_number.lists_every_binding).
    bound_numbers: frozenset[str] | None = None

    def held_at(self, now: float) -> Lease | None:
        """The lease an edge holds the trunk under at `now` (epoch seconds), or None when no edge
        holds it: is the trunk held, by which edge, and until when (`expires_at`, the expiry of
        that edge's own lease: domain/assignment.py)."""
        if self.lease is None or self.lease.is_expired(now):
            return None
        return self.lease

    @property
    def unique_key(self) -> str:
        """One trunk per (tenant, PBX domain, extension)."""
        return f"trunk:{self.tenant_id}:{self.account.domain}:{self.account.extension}"

    def with_account(self, account: SipAccount, now: datetime) -> "Trunk":
        return replace(self, account=account, updated_at=now)
