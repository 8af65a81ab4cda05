"""The signature the edge puts on every WebSocket handshake it opens to an agent, so that an agent
can tell SmartAlex's edge from anyone else who learned its URL (like Twilio's
X-Twilio-Signature). docs/agent-protocol.md explains it to agent authors.

Each agent has its own secret (created with the agent, shown once, rotatable; stored in Secrets
Manager: smartalex/adapters/secrets.py). On each handshake the edge sends

    X-SmartAlex-Timestamp: <Unix time in seconds>
    X-SmartAlex-Signature: <lower-case hex HMAC-SHA256(secret, timestamp + "\\n" + url)>

where `url` is the agent's `stream_url` exactly as stored (what the API shows), and the key is
the secret's text as UTF-8. An agent recomputes the HMAC, compares in constant time, and refuses
timestamps more than MAX_SKEW_SECONDS away from its clock (a captured handshake cannot be
replayed later).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-SmartAlex-Signature"
TIMESTAMP_HEADER = "X-SmartAlex-Timestamp"
MAX_SKEW_SECONDS = 300
SECRET_PREFIX = "sig_"  # makes a leaked secret recognisable (and greppable) as ours
SECRET_BYTES = 32       # 256 bits, as long as the HMAC-SHA256 key needs


def new_secret() -> str:
    """A fresh secret: "sig_" + 43 URL-safe base64 characters."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def canonical(url: str, timestamp: int) -> bytes:
    """What is signed: the timestamp, a line feed, the URL."""
    return f"{timestamp}\n{url}".encode("utf-8")


def sign(secret: str, url: str, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), canonical(url, timestamp), hashlib.sha256).hexdigest()


def headers(secret: str, url: str, now: float) -> dict[str, str]:
    """The two headers the edge adds to the handshake to `url`, signed at `now`."""
    timestamp = int(now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, url, timestamp)}


def verify(secret: str, url: str, timestamp: str | None, signature: str | None, now: float,
           max_skew: int = MAX_SKEW_SECONDS) -> bool:
    """Whether the headers of a handshake to `url` were made with `secret` within `max_skew`
    seconds of `now`. Missing or malformed headers are simply not valid."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit() \
            or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > max_skew:
        return False
    given = signature.strip().lower()
    if not given.isascii():  # compare_digest takes ASCII text only
        return False
    return hmac.compare_digest(sign(secret, url, int(timestamp)), given)
