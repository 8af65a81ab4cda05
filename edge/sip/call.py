"""The pjsua2 Call subclass: forwards callbacks to the call's session, and keeps two doors shut
that pjsua would open by itself: a REFER from the other side (pjsua would dial its Refer-To
as our extension) and media from anyone but the peer the SDP named."""

from __future__ import annotations

import pjsua2 as pj

# Our answer to an incoming REFER, in or out of a dialog (docs/registration.md).
REFER_REFUSED = 403


class InboundCall(pj.Call):
    def __init__(self, account: pj.Account, call_id: int):
        super().__init__(account, call_id)
        self.session = None  # set by the worker right after construction
        # The 2xx we sent to the INVITE, as sent: our tag is only there (pjsua2's CallInfo
        # has none), and the supervisor needs it to end the call if the worker dies
        # (edge/dialogs.py).
        self.answer_message: str | None = None

    def onCallState(self, prm) -> None:
        if self.session:
            info = self.getInfo()
            self.session.on_state(info.state, info.lastStatusCode, info.lastReason)

    def onCallMediaState(self, prm) -> None:
        if self.session:
            self.session.on_media()

    def onCallTsxState(self, prm: pj.OnCallTsxStateParam) -> None:
        """Two things only pjsua's transactions show: a CANCEL's Reason (pjsip answers the
        CANCEL, 200 and 487 to the INVITE, by itself and reports it here, as it arrives, before
        the call's DISCONNECTED: sip_inv.c mod_inv_on_tsx_state calls on_tsx_state_changed in
        state TRYING), and the 2xx we sent to the INVITE (answer_message)."""
        event = prm.e
        if event.type != pj.PJSIP_EVENT_TSX_STATE:
            return
        tsx = event.body.tsxState
        if tsx.tsx.role != pj.PJSIP_ROLE_UAS:
            return
        if tsx.tsx.method == "CANCEL" and tsx.type == pj.PJSIP_EVENT_RX_MSG and self.session:
            self.session.on_cancel(tsx.src.rdata.wholeMsg)
        elif tsx.tsx.method == "INVITE" and self.answer_message is None \
                and 200 <= tsx.tsx.statusCode < 300:
            message = tsx.src.tdata.wholeMsg
            if message.startswith("SIP/2.0 2"):
                self.answer_message = message

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        if self.session:
            self.session.on_dtmf(prm.digit)

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        """Always refused: the AI transfers callers itself and never dials on anyone's behalf.
        (Accepting also made pjsua reuse this Call object for the new leg, which crashed the
        worker once either leg ended: docs/measurements/pjsua2-build.md.)"""
        prm.statusCode = REFER_REFUSED
        if self.session:
            self.session.on_transfer_request()

    def onCallRedirected(self, prm: pj.OnCallRedirectedParam) -> int:
        return pj.PJSIP_REDIRECT_REJECT  # a 3xx never makes the edge send a new INVITE

    def onCreateMediaTransport(self, prm: pj.OnCreateMediaTransportParam) -> None:
        pj.filterMediaSources(prm)  # edge/sip/native/media_source_filter.hpp

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        if self.session:
            prm.cont = self.session.on_transfer_status(prm.statusCode, prm.reason,
                                                       prm.finalNotify)
