"""One pjsua2 Endpoint per process, configured as pjsua2's docs and FACTS.md require."""

from __future__ import annotations

import pjsua2 as pj

from smartalex.domain.trunk import Transport

# pjsua's compiled-in limit per process (FACTS.md); more is silently capped.
MAX_CALLS = 4

_TRANSPORT_TYPES = {
    Transport.UDP: pj.PJSIP_TRANSPORT_UDP,
    Transport.TCP: pj.PJSIP_TRANSPORT_TCP,
    Transport.TLS: pj.PJSIP_TRANSPORT_TLS,
}


def create_endpoint(log_level: int = 1, nameservers: tuple[str, ...] = (),
                    user_agent: str = "SmartAlex-Edge") -> pj.Endpoint:
    """Single-threaded: the caller pumps `libHandleEvents` (threadCnt 0, mainThreadOnly)."""
    ep = pj.Endpoint()
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
                      public_address: str | None = None) -> dict[Transport, int]:
    """UDP, TCP and TLS transports; returns transport ids by kind.

    UDP and TCP share `sip_port` (0: any free port); TLS uses the next port when one is set.
    """
    ids = {}
    for kind, pj_type in _TRANSPORT_TYPES.items():
        cfg = pj.TransportConfig()
        cfg.boundAddress = bind
        if public_address:  # Contact and Via carry the Elastic IP, not the private address
            cfg.publicAddress = public_address
        cfg.port = sip_port + 1 if (kind is Transport.TLS and sip_port) else sip_port
        if kind is Transport.TLS:
            # Many PBXs present self-signed certificates; the handshake still encrypts.
            cfg.tlsConfig.verifyServer = False
        ids[kind] = ep.transportCreate(pj_type, cfg)
    return ids
