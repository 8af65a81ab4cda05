"""Events out, and the bits of SIP text the test phone reads (tests/support/phone.py)."""

from __future__ import annotations

import functools
import json
import os
import re
import sys

# Events go to the original stdout; fd 1 itself is pointed at stderr (reserve_stdout_for_events)
# so that pjlib's own console output, printed before our log config applies, cannot mix in.
_events = sys.stdout


def emit(event: str, **fields) -> None:
    _events.write(json.dumps({"event": event, **fields}) + "\n")
    _events.flush()


def reserve_stdout_for_events() -> None:
    global _events
    _events = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)


def describe(exc: BaseException) -> str:
    info = getattr(exc, "info", None)  # pjsua2.Error
    return info() if callable(info) else f"{type(exc).__name__}: {exc}"


def guarded(callback):
    """For pjsua2 callbacks: a Python exception escaping into pjsua would abort the process,
    so report it as an "error" event instead."""
    @functools.wraps(callback)
    def wrapper(self, prm):
        try:
            return callback(self, prm)
        except Exception as exc:  # noqa: BLE001 - anything, rather than abort()
            emit("error", message=f"{type(self).__name__}.{callback.__name__}: {describe(exc)}")
    return wrapper


# --- SIP text ----------------------------------------------------------------

_COMPACT = {"f": "from", "t": "to", "i": "call-id", "m": "contact", "v": "via", "b": "referred-by",
            "r": "refer-to", "s": "subject", "c": "content-type", "l": "content-length"}
_NAME_ADDR = re.compile(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*<([^>]*)>')


def parse_request(msg: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """(Request-URI, {lower-case name: (name as sent, first value)}) of a SIP request."""
    head = msg.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")
    start = head[0].split()
    headers: dict[str, tuple[str, str]] = {}
    last = None
    for line in head[1:]:
        if line[:1] in (" ", "\t") and last in headers:  # folded continuation line
            name, value = headers[last]
            headers[last] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = _COMPACT.get(name.strip().lower(), name.strip().lower())
            headers.setdefault(key, (name.strip(), value.strip()))
            last = key
    return (start[1] if len(start) > 1 else ""), headers


def parse_name_addr(value: str) -> tuple[str, str]:
    """('Caller Phone', 'sip:300@pbx') from '"Caller Phone" <sip:300@pbx>;tag=x'."""
    m = _NAME_ADDR.match(value)
    if m:
        name = m.group(1) if m.group(1) is not None else m.group(2)
        return re.sub(r"\\(.)", r"\1", name).strip(), m.group(3)
    return "", value.split(";", 1)[0].strip()


def uri_user(uri: str) -> str:
    m = re.match(r"^\s*(?:sips?|tel):([^@;?>]+)", uri, re.I)
    return m.group(1) if m else ""
