"""pjsua's log lines, minus the credentials, on the worker's stderr.

At log level 4 and above pjsua prints every SIP message it sends, and the REGISTERs and any
challenged request carry `Authorization`/`Proxy-Authorization` with a digest response computed
from the trunk's password (crackable offline). pjsua writes its log through this writer
(LogConfig.writer, no console output of its own), which removes those values first, at every
SMARTALEX_EDGE_PJSIP_LOG_LEVEL.
"""

from __future__ import annotations

import re
import sys

import pjsua2 as pj

# The header's whole value, whatever follows the scheme (folded lines are joined by pjsua).
_CREDENTIALS = re.compile(r"(?im)^((?:proxy-)?authorization[ \t]*:[ \t]*)\S.*$")
# A digest answer quoted anywhere else (a log line that quotes part of a header).
_RESPONSE = re.compile(r'(?i)\bresponse\s*=\s*"[^"]*"')


def redact(text: str) -> str:
    text = _CREDENTIALS.sub(r"\1<redacted>", text)
    return _RESPONSE.sub('response="<redacted>"', text)


class RedactingLogWriter(pj.LogWriter):
    """Kept referenced by the worker for as long as the endpoint lives (pjsua2 does not own it)."""

    def __init__(self, stream=None):
        super().__init__()
        self._stream = stream or sys.stderr

    def write(self, entry: pj.LogEntry) -> None:
        self._stream.write(redact(entry.msg))
        if not entry.msg.endswith("\n"):
            self._stream.write("\n")
        self._stream.flush()
