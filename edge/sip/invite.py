"""SIP message text, read without pjsua2: who is calling and what they dialled (an INVITE),
why a CANCEL was sent (its Reason), and which devices a registrar lists for an extension (the
Contacts of a REGISTER's 200).

PBXs put the original caller in `From`, or in `P-Asserted-Identity` / `Remote-Party-ID` when
they rewrite `From`; the number the caller dialled (a DID) arrives in the Request-URI, `To`,
`Diversion`, `History-Info` or `P-Called-Party-ID`, depending on the PBX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>')
_USER = re.compile(r"^(?:sips?|tel):([^@;?>]+)", re.I)
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "m": "contact"}
# One RFC 3326 reason-value: `SIP ;cause=200 ;text="Call completed elsewhere"`.
_REASON = re.compile(r'\s*([A-Za-z0-9.\-]+)\s*((?:;\s*[A-Za-z0-9\-]+\s*(?:=\s*(?:"(?:[^"\\]|\\.)*"'
                     r'|[^;,"\s]+))?\s*)*)')
_PARAM = re.compile(r';\s*([A-Za-z0-9\-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]+))?')


@dataclass(frozen=True)
class Identity:
    number: str | None
    name: str | None


@dataclass(frozen=True)
class Reason:
    """One value of a Reason header (RFC 3326): protocol ("SIP", "Q.850"), cause, text."""

    protocol: str
    cause: int | None
    text: str = ""


@dataclass(frozen=True)
class Binding:
    """One Contact a registrar lists for the extension: its URI and how long it has left."""

    uri: str
    expires: int | None

    def has_param(self, name: str, value: str) -> bool:
        """The URI carries `;name=value` (case-insensitive name and value)."""
        params = self.uri.split(";")[1:]
        return any(p.split("=", 1)[0].strip().lower() == name.lower()
                   and p.partition("=")[2].strip().lower() == value.lower() for p in params)

    @property
    def host_port(self) -> str:
        """`host:port` of the URI (port as written, "" when absent)."""
        rest = self.uri.split(":", 1)[1] if ":" in self.uri else self.uri
        rest = rest.split("@", 1)[1] if "@" in rest else rest
        return rest.split(";", 1)[0].split("?", 1)[0]


@dataclass(frozen=True)
class InviteInfo:
    caller: Identity
    dialled: str | None        # the best guess at the number the caller dialled
    candidates: tuple[str, ...]  # every dialled number the INVITE carries, best first
    sip_call_id: str | None


def parse_headers(message: str) -> tuple[str, dict[str, list[str]]]:
    """(request line, lower-cased header name → values); folded lines joined."""
    head = message.replace("\r\n", "\n").split("\n\n", 1)[0]
    lines = re.sub(r"\n[ \t]+", " ", head).split("\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            headers.setdefault(_COMPACT.get(key, key), []).append(value.strip())
    return lines[0], headers


def name_addr(value: str) -> Identity:
    """`"Name" <sip:300@pbx>;tag=x` → Identity("300", "Name")."""
    match = _NAME_ADDR.match(value)
    if match:
        name = (match.group(1) if match.group(1) is not None else match.group(2) or "").strip()
        uri = match.group(3)
    else:
        name, uri = "", value.split(";", 1)[0].strip()
    user = _USER.match(uri.strip())
    number = unquote(user.group(1)).split(";", 1)[0] if user else None
    return Identity(number or None, name.replace('\\"', '"') or None)


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _history_info_targets(values: list[str]) -> list[str]:
    """History-Info entries in index order; the first is what the caller originally dialled."""
    entries = []
    for value in values:
        entries.extend(part.strip() for part in re.split(r",(?=\s*<)", value))
    numbers = []
    for entry in entries:
        number = name_addr(entry).number
        if number:
            numbers.append(number)
    return numbers


# What only the PBX may tell us: who the caller really is, and which number they dialled.
TRUSTED_ONLY = ("p-asserted-identity", "remote-party-id", "diversion", "history-info",
                "p-called-party-id")


def parse_invite(message: str, own_extension: str, trusted: bool = True) -> InviteInfo:
    """`trusted`: the INVITE came from the trunk's PBX. Otherwise the identity and routing
    headers are ignored: anyone can write "Your Bank" into P-Asserted-Identity, or a Diversion
    that picks which bound number's agent answers."""
    request_line, headers = parse_headers(message)
    if not trusted:
        headers = {k: v for k, v in headers.items() if k not in TRUSTED_ONLY}
    caller = name_addr(_first(headers, "from") or "")
    for header in ("p-asserted-identity", "remote-party-id"):
        value = _first(headers, header)
        if value:
            asserted = name_addr(value)
            caller = Identity(asserted.number or caller.number, asserted.name or caller.name)
            break
    dialled: list[str] = []
    for value in headers.get("diversion", []):
        dialled.append(name_addr(value).number)
    dialled += _history_info_targets(headers.get("history-info", []))
    for header in ("p-called-party-id", "to"):
        value = _first(headers, header)
        if value:
            dialled.append(name_addr(value).number)
    parts = request_line.split()
    if len(parts) >= 2:
        dialled.append(name_addr(f"<{parts[1]}>").number)
    seen = []
    for number in dialled:
        if number and number not in seen:
            seen.append(number)
    # The AI's own extension says nothing about which public number was dialled.
    external = [n for n in seen if n != own_extension]
    return InviteInfo(caller, external[0] if external else None, tuple(seen),
                      _first(headers, "call-id"))


def reasons(message: str) -> tuple[Reason, ...]:
    """Every Reason header value of a request (a CANCEL, a BYE); () when it has none.

    Values may share one header, comma-separated (`SIP;cause=200, Q.850;cause=16`); anything
    unreadable is skipped rather than guessed at."""
    _, headers = parse_headers(message)
    found = []
    for value in headers.get("reason", []):
        position = 0
        while position < len(value):
            match = _REASON.match(value, position)
            if not match or match.end() == position:
                break
            params = {k.lower(): v for k, v in _PARAM.findall(match.group(2))}
            cause = params.get("cause", "")
            text = params.get("text", "").strip('"')
            found.append(Reason(match.group(1).upper(), int(cause) if cause.isdigit() else None,
                                text))
            position = match.end()
            rest = value[position:].lstrip()
            if not rest.startswith(","):
                break
            position = len(value) - len(rest) + 1
    return tuple(found)


def _split_commas(value: str) -> list[str]:
    """Comma-separated header values, minding <...> and quoted strings."""
    parts, current, depth, quoted = [], "", 0, False
    for ch in value:
        if ch == '"' and not current.endswith("\\"):
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(depth - 1, 0)
        if ch == "," and not quoted and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def bindings(message: str) -> tuple[Binding, ...] | None:
    """The Contacts a REGISTER response lists (RFC 3261 10.3: every current binding of the
    extension), with their expires; None when it lists none at all (some registrars never do,
    so a missing list says nothing about who is registered)."""
    _, headers = parse_headers(message)
    values = headers.get("contact")
    if not values:
        return None
    found = []
    for value in values:
        for entry in _split_commas(value):
            if entry == "*":
                continue
            match = _NAME_ADDR.match(entry)
            uri, rest = (match.group(3), entry[match.end():]) if match else \
                (entry.split(";", 1)[0], ";" + entry.split(";", 1)[1] if ";" in entry else "")
            expires = re.search(r";\s*expires\s*=\s*(\d+)", rest, re.I)
            found.append(Binding(uri.strip(), int(expires.group(1)) if expires else None))
    return tuple(found)
