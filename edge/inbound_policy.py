"""Who may start anything with the edge: the PBX of the trunk a request names, and nobody else.

The edge's SIP ports face the internet (the PBX must reach them), so anyone can send them an
INVITE, a REFER or an OPTIONS scan. The request guard (edge/sip/native/request_guard.hpp) asks
this policy about every request that belongs to no dialog of ours, before pjsip creates a
transaction or pjsua answers it; requests inside our dialogs never come here.

- A request is let in only from one of the PBX addresses of a trunk this worker holds, and an
  INVITE (or any request naming a user) only when it names that trunk's extension. A trunk's
  PBX addresses are what its registrar resolved to plus every address that answered its
  REGISTER, and the extra addresses or networks the admin listed for PBXs that send calls from
  another node.
- REFER outside a dialog is refused from everyone: the AI never dials on anyone's behalf.
- An outsider gets 403 Forbidden, and past a per-source and an overall rate, nothing at all
  (a flood costs us no answers). No call record, no error record: a counter and a log line at
  most once a minute per source instead.

A worker holds many trunks, so a request that gets in must also find its trunk (`owner`):
each trunk's Contact carries a URI parameter (CONTACT_PARAM) with a token of the trunk, which
the PBX sends back in the Request-URI of the calls it delivers to that contact (RFC 3261
10.2.1.1 / 19.1.4: the Request-URI is the registered Contact URI, parameters included). For a
PBX that rewrites the Request-URI, the trunk whose PBX sent it and whose extension it names is
the owner: registration claims (domain/assignment.py) keep that unique.

Pure: no pjsua2, no clock of its own (tests drive `now`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ACCEPT = 0
DROP = -1
FORBIDDEN = 403
NOT_FOUND = 404

# 403s per outsider address: a burst, then one a second; all outsiders together: 50 a second.
# Past either, requests are dropped unanswered.
SOURCE_BURST, SOURCE_RATE = 10.0, 1.0
TOTAL_BURST, TOTAL_RATE = 100.0, 50.0
LOG_EVERY = 60.0  # seconds between log lines about one outsider address

# The Contact URI parameter that names a trunk to the PBX: `<sip:1000@edge:5060;sa-trunk=…>`.
CONTACT_PARAM = "sa-trunk"
_TOKEN_IN_REQUEST_LINE = re.compile(r"^\S+\s+\S*?;" + re.escape(CONTACT_PARAM) +
                                    r"=([0-9a-f]+)", re.IGNORECASE)


def contact_token(trunk_id: str) -> str:
    """A trunk's token in its Contact: stable across generations and edges (a Re-register's
    contact replaces the old one on the PBX), and no internal id shown on the PBX."""
    return hashlib.blake2b(trunk_id.encode(), digest_size=6).hexdigest()


_USER_IN_REQUEST_LINE = re.compile(r"^\S+\s+sips?:([^@;?>\s]+)@", re.IGNORECASE)


def request_user_of(request: str) -> str:
    """The user part of a request's Request-URI ("" if it has none)."""
    found = _USER_IN_REQUEST_LINE.match(request)
    return found.group(1) if found else ""


def token_of(request: str) -> str | None:
    """The contact token in a request's Request-URI (its first line), if any."""
    found = _TOKEN_IN_REQUEST_LINE.match(request)
    return found.group(1).lower() if found else None


def parse_address(text: str) -> Address | None:
    """An IP address as pjsip prints it ("10.0.0.1", "::1", "[::1]"), or None."""
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def parse_source(text: str) -> Address | None:
    """The address of pjsip's "ip:port" / "[v6]:port" source strings."""
    text = text.strip()
    if text.startswith("["):
        return parse_address(text[1:text.index("]")]) if "]" in text else None
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return parse_address(text)


@dataclass
class PbxAddresses:
    """The addresses a trunk's PBX sends from."""

    registrar: set[Address] = field(default_factory=set)
    extra: tuple[Network, ...] = ()

    @classmethod
    def of(cls, registrar: Iterable[str], extra: Iterable[str] = ()) -> "PbxAddresses":
        found = {a for a in map(parse_address, registrar) if a is not None}
        return cls(found, tuple(ipaddress.ip_network(n, strict=False) for n in extra))

    def __contains__(self, address: Address) -> bool:
        return address in self.registrar or any(address in net for net in self.extra)

    def learn(self, address: Address | None) -> None:
        """An address that answered the trunk's REGISTER is the registrar's."""
        if address is not None:
            self.registrar.add(address)


@dataclass
class _Bucket:
    tokens: float
    at: float

    def take(self, now: float, rate: float, burst: float) -> bool:
        self.tokens = min(burst, self.tokens + (now - self.at) * rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Refusal:
    """One outsider request refused, for the log line (rate-limited by the policy)."""

    method: str
    source: str
    request_user: str
    answered: bool  # False: dropped unanswered (over the rate)


class InboundPolicy:
    """The verdict for requests outside every dialog; one per worker process."""

    def __init__(self, on_refusal: Callable[[Refusal], None] | None = None):
        self._trunks: dict[object, tuple[str, PbxAddresses]] = {}
        self._tokens: dict[object, str] = {}
        self._sources: dict[Address | str, _Bucket] = {}
        self._logged: dict[Address | str, float] = {}
        self._total: _Bucket | None = None
        self._on_refusal = on_refusal
        self.refused = 0   # answered 403/404 so far
        self.dropped = 0   # over the rate: not answered

    # --- what the worker holds ---
    def hold(self, key: object, extension: str, addresses: PbxAddresses,
             token: str | None = None) -> None:
        self._trunks[key] = (extension, addresses)
        if token is not None:
            self._tokens[key] = token

    def forget(self, key: object) -> None:
        self._trunks.pop(key, None)
        self._tokens.pop(key, None)

    def owner(self, token: str | None, source: str, request_user: str) -> object | None:
        """The held trunk a request that got in is for: the one its contact token names
        (the newest holder of a token, when a trunk's old generation is still leaving), else
        the only trunk whose PBX sent it and whose extension it names; None if none or several
        (pjsua's own choice then stands, and the worker refuses what is not that trunk's)."""
        if token:
            named = [key for key, held in self._tokens.items() if held == token]
            if named:
                return named[-1]
        address = parse_source(source)
        fits = [key for key, (ext, addrs) in self._trunks.items()
                if address is not None and address in addrs and ext == request_user]
        return fits[0] if len(fits) == 1 else None

    def is_pbx(self, key: object, source: Address | None) -> bool:
        """Whether `source` is one of the PBX addresses of the trunk held under `key`."""
        held = self._trunks.get(key)
        return held is not None and source is not None and source in held[1]

    # --- the verdict ---
    def verdict(self, method: str, source: str, request_user: str, now: float) -> int:
        """ACCEPT, DROP, or the status code to answer with."""
        address = parse_address(source)
        pbx_of = [ext for ext, addrs in self._trunks.values()
                  if address is not None and address in addrs]
        if method.upper() == "REFER":
            code = FORBIDDEN  # never followed, from anyone (docs/registration.md)
        elif not pbx_of:
            code = FORBIDDEN
        elif request_user and request_user not in pbx_of:
            code = NOT_FOUND  # the PBX, but not for an extension it registered with us
        elif not request_user and method.upper() == "INVITE":
            code = NOT_FOUND
        else:
            return ACCEPT
        return self._refuse(method, source, request_user, address, code, from_pbx=bool(pbx_of),
                            now=now)

    def _refuse(self, method: str, source: str, request_user: str, address: Address | None,
                code: int, from_pbx: bool, now: float) -> int:
        key = address if address is not None else source
        bucket = self._sources.setdefault(key, _Bucket(SOURCE_BURST, now))
        if self._total is None:
            self._total = _Bucket(TOTAL_BURST, now)
        # The PBX's own refusals (a REFER, a wrong extension) are never rate-limited away.
        answered = from_pbx or (bucket.take(now, SOURCE_RATE, SOURCE_BURST)
                                and self._total.take(now, TOTAL_RATE, TOTAL_BURST))
        if answered:
            self.refused += 1
        else:
            self.dropped += 1
        if self._on_refusal and now >= self._logged.get(key, float("-inf")):
            self._logged[key] = now + LOG_EVERY
            self._on_refusal(Refusal(method, source, request_user, answered))
        if len(self._sources) > 10_000:  # a spray of addresses must not grow without bound
            self._sources.clear()
            self._logged.clear()
        return code if answered else DROP
