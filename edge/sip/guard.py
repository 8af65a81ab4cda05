"""The request guard's pjsua2 side: hands each request outside our dialogs to the worker's
InboundPolicy (edge/inbound_policy.py) and returns its verdict to the C++ guard
(edge/sip/native/request_guard.hpp), which answers or drops it before pjsip goes further."""

from __future__ import annotations

import time

import pjsua2 as pj

from ..inbound_policy import FORBIDDEN, InboundPolicy


class RequestGuard(pj.RequestGuard):
    def __init__(self, policy: InboundPolicy):
        super().__init__()
        self.policy = policy

    def onRequest(self, request: pj.GuardedRequest) -> int:
        try:
            return self.policy.verdict(request.method, request.sourceAddress,
                                       request.requestUser, time.monotonic())
        except Exception:  # a broken rule must refuse, not let the request in
            return FORBIDDEN
