"""Which 401/407 challenges the edge answers with the trunk's password: only the registrar's.

A digest answer is computed from the SIP password, so whoever receives one can try passwords
offline. pjsua would answer a challenge from anyone, for any realm (our credentials carry realm
`*`, since a PBX's realm is not something an admin knows). So every challenge comes here first
(Account.onAuthChallenge, pjsua 2.17; the bindings check's own challenge, edge/worker.py) and is
answered only when:

- it comes from the trunk's registrar (its resolved addresses, or one that answered its
  REGISTER);
- it challenges a REGISTER, or a REFER (3CX challenges the transfers the AI makes); the edge's
  other requests (BYE, re-INVITE, OPTIONS) are never authenticated by a PBX we know of, and a
  proxy PBX relays its callers' challenges from its own address;
- its realm is the realm the registrar used the first time this trunk (this generation of it)
  registered: learned from that first challenge and pinned from then on.

Anything else is abandoned: that request fails, and nothing leaves the edge. Pure (no pjsua2):
the account adapter passes the challenge's text and source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .inbound_policy import PbxAddresses, parse_source
from .sip.invite import parse_headers

ANSWERED_METHODS = frozenset({"REGISTER", "REFER"})
_REALM = re.compile(r'\brealm\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))', re.I)


def challenge_of(response: str) -> tuple[str, list[str]]:
    """(the challenged method, the realms of every WWW-/Proxy-Authenticate header)."""
    _, headers = parse_headers(response)
    cseq = (headers.get("cseq") or [""])[0].split()
    method = cseq[1].upper() if len(cseq) == 2 else ""
    realms = []
    for name in ("www-authenticate", "proxy-authenticate"):
        for value in headers.get(name, []):
            found = _REALM.search(value)
            realms.append((found.group(1) if found.group(1) is not None else found.group(2))
                          if found else "")
    return method, realms


@dataclass
class ChallengePolicy:
    """One trunk generation's rule; `registrar` is shared with the inbound policy."""

    registrar: PbxAddresses
    realm: str | None = None  # pinned by the first REGISTER challenge
    refused: list[str] = field(default_factory=list)  # why, newest last (for the log)

    def answer(self, source: str, response: str) -> bool:
        method, realms = challenge_of(response)
        why = self._refusal(parse_source(source), method, realms)
        if why:
            self.refused.append(why)
            del self.refused[:-10]
            return False
        if self.realm is None:
            self.realm = realms[0]
        return True

    def _refusal(self, address, method: str, realms: list[str]) -> str | None:
        if address is None or address not in self.registrar:
            return f"a {method or 'request'} challenge from {address or 'an unknown address'}, " \
                   "which is not the registrar"
        if method not in ANSWERED_METHODS:
            return f"a challenge to our {method or 'request'}, which we never authenticate"
        if not realms or len(set(realms)) != 1 or not realms[0]:
            return "a challenge without exactly one realm"
        if self.realm is None:
            if method != "REGISTER":
                return "a challenge before the registrar's realm is known"
            return None
        if realms[0] != self.realm:
            return f"a challenge for realm {realms[0]!r}, not the registrar's {self.realm!r}"
        return None
