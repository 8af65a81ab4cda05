"""One pjsua2 Endpoint per process, configured as pjsua2's docs and docs/measurements require."""

from __future__ import annotations

from typing import Callable

import pjsua2 as pj

from smartalex.domain.trunk import SipAccount, Transport

from ..settings import MAX_CALLS_PER_PROCESS as MAX_CALLS
# The TLS transport of trunks with tls_verify false (a self-signed PBX).
UNVERIFIED_TLS = "tls-unverified"

_TRANSPORT_TYPES = {
    Transport.UDP: pj.PJSIP_TRANSPORT_UDP,
    Transport.TCP: pj.PJSIP_TRANSPORT_TCP,
    Transport.TLS: pj.PJSIP_TRANSPORT_TLS,
}


class EdgeEndpoint(pj.Endpoint):
    """The Endpoint, with `select_account` deciding which account an incoming request is for:
    called with (request text, source "ip:port") and returning a pjsua account id, or None to
    keep pjsua's choice. pjsua's own choice matches the Request-URI's user and host against the
    accounts' ids; a worker with many trunks can hold one extension of two PBXs, and the host is
    our address anyway, so it would pick the first (edge/inbound_policy.py: InboundPolicy.owner
    decides instead)."""

    def __init__(self):
        super().__init__()
        self.select_account: Callable[[str, str], int | None] | None = None

    def onSelectAccount(self, prm: pj.OnSelectAccountParam) -> None:
        if self.select_account is None:
            return
        try:
            chosen = self.select_account(str(prm.rdata.wholeMsg), str(prm.rdata.srcAddress))
        except Exception:  # a broken rule keeps pjsua's choice; the worker re-checks the call
            return
        if chosen is not None:
            prm.accountIndex = chosen


def create_endpoint(log_level: int = 1, nameservers: tuple[str, ...] = (),
                    user_agent: str = "SmartAlex-Edge",
                    log_writer: pj.LogWriter | None = None) -> EdgeEndpoint:
    """Single-threaded: the caller pumps `libHandleEvents` (threadCnt 0, mainThreadOnly).

    `log_writer` receives every pjsua log line (edge/sip/log.py redacts credentials); the caller
    keeps it referenced as long as the endpoint lives."""
    ep = EdgeEndpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.userAgent = user_agent
    for server in nameservers:
        cfg.uaConfig.nameserver.append(server)
    cfg.uaConfig.maxCalls = MAX_CALLS
    cfg.logConfig.level = log_level
    cfg.logConfig.consoleLevel = log_level
    if log_writer is not None:
        cfg.logConfig.writer = log_writer
    # G.711 end to end: the conference bridge runs at 8 kHz, so agent audio is never resampled.
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.noVad = True
    ep.libInit(cfg)
    return ep


def prefer_g711(ep: pj.Endpoint) -> None:
    """Offer and accept PCMU and PCMA only (call after libStart)."""
    for codec in ep.codecEnum2():
        priority = {"PCMU/8000/1": 255, "PCMA/8000/1": 254}.get(codec.codecId, 0)
        ep.codecSetPriority(codec.codecId, priority)


def create_transports(ep: pj.Endpoint, bind: str = "0.0.0.0", sip_port: int = 0,
                      public_address: str | None = None,
                      ca_file: str | None = None) -> dict[Transport | str, int]:
    """UDP, TCP and two TLS transports; returns transport ids by kind (transport_for picks).

    UDP and TCP share `sip_port` (0: any free port); TLS uses the next port when one is set.
    pjsip verifies certificates per transport, not per account, so TLS comes twice: the one
    on the published port checks the PBX's certificate against `ca_file`; UNVERIFIED_TLS
    (an ephemeral port: it only makes outgoing connections, which carry the PBX's requests
    back) accepts any certificate, for trunks with tls_verify false.
    """
    ids: dict[Transport | str, int] = {}
    for kind, pj_type in _TRANSPORT_TYPES.items():
        cfg = _transport_config(bind, public_address)
        cfg.port = sip_port + 1 if (kind is Transport.TLS and sip_port) else sip_port
        if kind is Transport.TLS:
            cfg.tlsConfig.verifyServer = True
            if ca_file:
                cfg.tlsConfig.CaListFile = ca_file
        ids[kind] = ep.transportCreate(pj_type, cfg)
    unverified = _transport_config(bind, public_address)
    unverified.port = 0
    unverified.tlsConfig.verifyServer = False
    ids[UNVERIFIED_TLS] = ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, unverified)
    return ids


def transport_for(transports: dict[Transport | str, int], account: SipAccount) -> int:
    if account.transport is Transport.TLS and not account.tls_verify:
        return transports[UNVERIFIED_TLS]
    return transports[account.transport]


def _transport_config(bind: str, public_address: str | None) -> pj.TransportConfig:
    cfg = pj.TransportConfig()
    cfg.boundAddress = bind
    # pjsip's default offers TLS 1.0–1.2 only; a PBX that requires 1.3 must work, 1.0/1.1 are
    # obsolete (RFC 8996). Measured: docs/measurements/pjsua2-build.md.
    cfg.tlsConfig.proto = pj.PJ_SSL_SOCK_PROTO_TLS1_2 | pj.PJ_SSL_SOCK_PROTO_TLS1_3
    if public_address:  # Contact and Via carry the Elastic IP, not the private address
        cfg.publicAddress = public_address
    return cfg
