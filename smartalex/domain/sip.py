"""Syntax rules for what an admin types about their PBX: host names and SIP user parts.

Checked here, before anything is stored, so that a typo is reported on the field the admin
typed it in rather than surfacing minutes later as a registration failure.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
_USER_PART = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$")


def check_host(value: str) -> str:
    """Return the host normalised (lower case, IPv6 without brackets) or raise ValueError."""
    host = value.strip()
    if not host:
        raise ValueError("is required")
    if "://" in host or host.lower().startswith(("sip:", "sips:")):
        raise ValueError("must be a host name or IP address without a scheme, e.g. pbx.example.com")
    if any(ch.isspace() for ch in host):
        raise ValueError("must not contain spaces")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if "/" in host or "@" in host:
        raise ValueError("must be a host name or IP address only, without user or path")
    if ":" in host:
        raise ValueError("must not include a port; put the port in the port field")
    name = host.rstrip(".").lower()
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("is not a valid host name (letters, digits, hyphens and dots)")
    if labels[-1].isdigit():
        raise ValueError("is not a valid host name or IPv4 address")
    return name


def check_user_part(value: str, max_length: int) -> str:
    """Validate a SIP URI user part (extension number or authentication ID)."""
    user = value.strip()
    if not user:
        raise ValueError("is required")
    if len(user) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if not _USER_PART.match(user):
        raise ValueError(
            "may contain only letters, digits and - _ . ! ~ * ' ( ) & = + $ , ; ? / "
            "(no spaces, '@' or ':')"
        )
    return user


def uri_host(host: str) -> str:
    """Host as it appears inside a SIP URI (IPv6 literals need brackets)."""
    return f"[{host}]" if ":" in host else host
