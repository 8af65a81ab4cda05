"""A trunk's SIP account: its pjsua2 configuration, and the account object that passes
registration, incoming-call and challenge events on to the worker."""

from __future__ import annotations

from typing import Callable

import pjsua2 as pj

from smartalex.domain.edge_addresses import RTP_PORT_FIRST, RTP_PORT_LAST
from smartalex.domain.sip import split_proxy, uri_host
from smartalex.domain.trunk import SipAccount

from ..inbound_policy import CONTACT_PARAM
from ..registration import REFRESH_BEFORE_EXPIRY

# How long a registration lasts by default (SMARTALEX_EDGE_REGISTRATION_EXPIRES); how early it is
# refreshed is the RegistrationDriver's REFRESH_BEFORE_EXPIRY.
REGISTRATION_EXPIRES = 300


# RTP/RTCP ports: the range PBX admins open in their firewall (domain/edge_addresses.py, shown
# on every trunk).
RTP_PORT_START = RTP_PORT_FIRST
RTP_PORT_RANGE = RTP_PORT_LAST - RTP_PORT_FIRST + 1


def registrar_uri(account: SipAccount, user: str | None = None) -> str:
    """The registrar (or, with `user`, a user at it) as the edge addresses it: with the port
    only when the admin gave one; without, a SIP URI that RFC 3263 resolves (SRV records)."""
    port = f":{account.port}" if account.explicit_port else ""
    who = f"{user}@" if user else ""
    return f"sip:{who}{uri_host(account.domain)}{port};transport={account.transport.value}"


def next_hop(account: SipAccount) -> tuple[str, str | None]:
    """(the name requests first go to, its port if given): the outbound proxy when the trunk
    has one, else the registrar's domain."""
    if account.outbound_proxy:
        host, port = split_proxy(account.outbound_proxy)
        return host, port
    return account.domain, str(account.port) if account.explicit_port else None


def account_config(account: SipAccount, password: str, transport_id: int,
                   bind: str | None = None, public: str | None = None,
                   pinned: str | None = None, token: str | None = None,
                   expires: int = REGISTRATION_EXPIRES,
                   pinned_port: int | None = None) -> pj.AccountConfig:
    """`pinned`, `pinned_port`: the next hop (the registrar, or the trunk's outbound proxy) as
    the edge resolved it (edge/resolver.py: the address, and the SRV record's port or the
    given or default one). Requests go there, through a loose route, while the Request-URI,
    From and To keep the domain the admin typed, like a desk phone with an outbound proxy. Not
    for TLS, whose certificate is checked against the name the request is sent to: pjsua
    resolves that name itself (SRV included when no port was given).

    `token`: the trunk's contact token (edge/inbound_policy.py), a Contact URI parameter the
    PBX sends back in the Request-URI of its calls, so that a worker holding many trunks (two
    of them perhaps extension 1000 of two PBXs) hands each call to its own trunk."""
    host = uri_host(account.domain)
    transport = account.transport.value
    cfg = pj.AccountConfig()
    cfg.idUri = f"sip:{account.extension}@{host}"
    cfg.regConfig.registrarUri = registrar_uri(account)
    if pinned:
        cfg.sipConfig.proxies.append(f"sip:{uri_host(pinned)}:{pinned_port or account.port};"
                                     f"transport={transport};lr")
    elif account.outbound_proxy:  # TLS: by its name
        proxy, port = next_hop(account)
        cfg.sipConfig.proxies.append(f"sip:{uri_host(proxy)}{':' + port if port else ''};"
                                     f"transport={transport};lr")
    cfg.regConfig.registerOnAdd = False  # the worker starts each attempt itself
    cfg.regConfig.timeoutSec = expires
    cfg.regConfig.delayBeforeRefreshSec = REFRESH_BEFORE_EXPIRY
    cfg.regConfig.retryIntervalSec = 0  # no pjsua retry: RegistrationDriver backs off itself
    cfg.regConfig.firstRetryIntervalSec = 0
    cfg.sipConfig.transportId = transport_id
    if token:
        cfg.sipConfig.contactUriParams = f";{CONTACT_PARAM}={token}"
    cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", account.username, 0, password))
    cfg.mediaConfig.transportConfig.port = RTP_PORT_START
    cfg.mediaConfig.transportConfig.portRange = RTP_PORT_RANGE
    if bind:  # RTP where SIP is bound
        cfg.mediaConfig.transportConfig.boundAddress = bind
    if public or bind:  # the address SDP advertises: the Elastic IP in AWS
        cfg.mediaConfig.transportConfig.publicAddress = public or bind
    return cfg


class TrunkAccount(pj.Account):
    """Forwards onRegState (code, reason, expiration, source, response text), onIncomingCall
    (call id, INVITE text, source), onAuthChallenge (source, response text → answer or not)
    and onSendRequest (the final outcome of a request sent with send(): method, code, response
    text or "" when none arrived, source) to plain callbacks. Sources are pjsip's "ip:port"
    strings ("" for locally generated outcomes)."""

    def __init__(self, on_reg_state: Callable[[int, str, int, str, str], None],
                 on_incoming_call: Callable[[int, str, str], None],
                 on_challenge: Callable[[str, str], bool],
                 on_sent: Callable[[str, int, str, str], None] | None = None):
        super().__init__()
        self._on_reg_state = on_reg_state
        self._on_incoming_call = on_incoming_call
        self._on_challenge = on_challenge
        self._on_sent = on_sent

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        self._on_reg_state(int(prm.code), str(prm.reason), int(prm.expiration),
                           str(prm.rdata.srcAddress), str(prm.rdata.wholeMsg))

    def send(self, method: str, target: str, headers: dict[str, str] | None = None) -> None:
        """An out-of-dialog request from this account (its From and route set, no Contact):
        the keepalive OPTIONS and the bindings check's REGISTER. pjsip does not authenticate
        it: a challenge comes back to onSendRequest. Raises pj.Error."""
        prm = pj.SendRequestParam()
        prm.method = method
        prm.txOption.targetUri = target
        for name, value in (headers or {}).items():
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        self.sendRequest(prm)

    def onSendRequest(self, prm: pj.OnSendRequestParam) -> None:
        if self._on_sent is None or prm.e.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        event = prm.e.body.tsxState
        if event.tsx.statusCode < 200:
            return
        answered = event.type == pj.PJSIP_EVENT_RX_MSG
        self._on_sent(str(event.tsx.method), int(event.tsx.statusCode),
                      str(event.src.rdata.wholeMsg) if answered else "",
                      str(event.src.rdata.srcAddress) if answered else "")

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self._on_incoming_call(prm.callId, prm.rdata.wholeMsg, str(prm.rdata.srcAddress))

    def onAuthChallenge(self, prm: pj.OnAuthChallengeParam) -> None:
        """Answer only what the worker's ChallengePolicy allows; abandoning fails the request.
        Left alone (also when the callback raises) pjsua would answer any challenge with the
        trunk's password, hence the finally."""
        answer = False
        try:
            answer = self._on_challenge(str(prm.rdata.srcAddress), str(prm.rdata.wholeMsg))
        finally:
            if answer:
                prm.challenge.respond()
            else:
                prm.challenge.abandon()

    def destroy(self) -> None:
        """Delete the pjsua account now, through the C++ destructor, while its id is ours.

        pjsua2's shutdown() deletes the account but leaves the wrapper's id set, and pjsua reuses
        ids: the wrapper's destructor, run whenever reference counting gets to it, would delete
        whichever account holds that id by then. Measured before this: after a Re-register
        the extension was silently un-registered in 3 of 30 tries, and a worker aborted in
        pjsua_acc_get_info. Call on the pjsua thread; afterwards the object is inert."""
        if self.this.own():
            self.__swig_destroy__(self)
