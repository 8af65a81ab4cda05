"""The digest answer (RFC 2617 / RFC 8760) to a registrar's challenge of a request pjsua does not
authenticate by itself (no pjsua2 here).

pjsua answers the challenges of its own REGISTERs; the edge's bindings check (a REGISTER
without Contact, RFC 3261 10.2.3, sent with Account.sendRequest) goes out through
pjsip_endpt_send_request, which has no authentication, so the worker answers it with this,
after edge/challenges.py allowed it (the registrar's address and realm only). The result is a
credential: never log it (edge/sip/log.py removes it from pjsua's log).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256,
           "SHA-512-256": lambda data=b"": hashlib.new("sha512_256", data)}


class Unsupported(ValueError):
    """A challenge this module cannot answer (another scheme, algorithm or qop)."""


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    proxy: bool = False  # Proxy-Authenticate (answer in Proxy-Authorization)

    @classmethod
    def parse(cls, value: str, proxy: bool = False) -> "Challenge":
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() != "digest":
            raise Unsupported(f"scheme {scheme}")
        params = {k.lower(): q if q is not None else u
                  for k, q, u in ((m.group(1), m.group(2), m.group(3))
                                  for m in _PARAM.finditer(rest))}
        if "nonce" not in params or "realm" not in params:
            raise Unsupported("no nonce or realm")
        qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
        return cls(params["realm"], params["nonce"], params.get("algorithm", "MD5"), qop,
                   params.get("opaque"), proxy)


def authorization(challenge: Challenge, method: str, uri: str, username: str, password: str,
                  cnonce: str | None = None, nc: int = 1) -> tuple[str, str]:
    """(header name, value) answering `challenge` for `method uri`."""
    algorithm = challenge.algorithm.upper()
    session = algorithm.endswith("-SESS")
    hash_name = algorithm.removesuffix("-SESS")
    if hash_name not in _HASHES:
        raise Unsupported(f"algorithm {challenge.algorithm}")
    if challenge.qop and "auth" not in challenge.qop:
        raise Unsupported(f"qop {','.join(challenge.qop)}")

    def h(text: str) -> str:
        return _HASHES[hash_name](text.encode()).hexdigest()

    cnonce = cnonce or os.urandom(8).hex()
    count = f"{nc:08x}"
    ha1 = h(f"{username}:{challenge.realm}:{password}")
    if session:
        ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    if challenge.qop:
        response = h(f"{ha1}:{challenge.nonce}:{count}:{cnonce}:auth:{ha2}")
    else:
        response = h(f"{ha1}:{challenge.nonce}:{ha2}")
    parts = [f'username="{_quote(username)}"', f'realm="{_quote(challenge.realm)}"',
             f'nonce="{_quote(challenge.nonce)}"', f'uri="{_quote(uri)}"',
             f'response="{response}"', f"algorithm={challenge.algorithm}"]
    if challenge.qop:
        parts += [f'cnonce="{cnonce}"', "qop=auth", f"nc={count}"]
    if challenge.opaque is not None:
        parts.append(f'opaque="{_quote(challenge.opaque)}"')
    name = "Proxy-Authorization" if challenge.proxy else "Authorization"
    return name, "Digest " + ", ".join(parts)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
