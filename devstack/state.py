"""Files the local stack keeps between runs, under `.state/` at the repository root."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("SMARTALEX_STATE_DIR", ROOT / ".state"))


def _private_file(path: Path, create) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(create())
    return path.read_text().strip()


def local_token_key() -> str:
    """The key that signs local bearer tokens; made once, so tokens survive a restart."""
    return _private_file(STATE_DIR / "local-token-key", lambda: secrets.token_urlsafe(32))


def _sip_password() -> str:
    """Hex: typed into softphones and passed on command lines, where a leading '-'
    (token_urlsafe's alphabet) reads as an option."""
    return secrets.token_hex(8)


def demo_pbx_users(extensions: tuple[str, ...]) -> dict[str, str]:
    """Random SIP passwords for the demo PBX's extensions, kept so softphones stay configured."""
    raw = _private_file(STATE_DIR / "demo-pbx-users.json", lambda: json.dumps(
        {ext: _sip_password() for ext in extensions}, indent=2))
    users = json.loads(raw)
    for ext in extensions:
        users.setdefault(ext, _sip_password())
    return users
