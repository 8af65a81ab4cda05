"""The pjsua2 Call subclass: forwards callbacks to the call's session, nothing more."""

from __future__ import annotations

import pjsua2 as pj


class InboundCall(pj.Call):
    def __init__(self, account: pj.Account, call_id: int):
        super().__init__(account, call_id)
        self.session = None  # set by the worker right after construction

    def onCallState(self, prm) -> None:
        if self.session:
            info = self.getInfo()
            self.session.on_state(info.state, info.lastStatusCode, info.lastReason)

    def onCallMediaState(self, prm) -> None:
        if self.session:
            self.session.on_media()

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        if self.session:
            self.session.on_dtmf(prm.digit)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        if self.session:
            prm.cont = self.session.on_transfer_status(prm.statusCode, prm.reason,
                                                       prm.finalNotify)
