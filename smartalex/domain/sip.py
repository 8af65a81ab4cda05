"""Syntax rules for what an admin types about their PBX: host names and SIP user parts.

Checked here, before anything is stored, so that a typo is reported on the field the admin
typed it in rather than surfacing minutes later as a registration failure.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved )
_USER_PART = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$")


MAX_HOST = 253  # RFC 1035: a name of at most 253 characters, labels of at most 63


def check_host(value: str) -> str:
    """Return the host normalised (lower case, IPv6 without brackets, an internationalised
    name in its ASCII `xn--` form) or raise ValueError.

    The host goes into SIP URIs (`sip:1000@<host>`) and certificate checks, so only a host name
    or an IPv4/IPv6 literal passes: no zone id (`fe80::1%eth0`, which also lets `<>;@` through
    ipaddress), no control characters, nothing longer than DNS allows."""
    host = value.strip()
    if not host:
        raise ValueError("is required")
    if len(host) > MAX_HOST + 2:  # + 2: the brackets of an IPv6 literal
        raise ValueError(f"must be at most {MAX_HOST} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in host):
        raise ValueError("must not contain control characters or line breaks")
    if "://" in host or host.lower().startswith(("sip:", "sips:")):
        raise ValueError("must be a host name or IP address without a scheme, e.g. pbx.example.com")
    if any(ch.isspace() for ch in host):
        raise ValueError("must not contain spaces")
    bracketed = host.startswith("[") and host.endswith("]")
    if bracketed:
        host = host[1:-1]
    if "%" in host:
        raise ValueError("must not include a zone id (the %... of a link-local IPv6 address); "
                         "give the PBX's routable address or its host name")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        if bracketed:
            raise ValueError("is not a valid IPv6 address") from None
    if "/" in host or "@" in host:
        raise ValueError("must be a host name or IP address only, without user or path")
    if ":" in host:
        raise ValueError("must not include a port; put the port in the port field")
    name = _ascii_name(host.rstrip(".").lower())
    labels = name.split(".")
    if len(name) > MAX_HOST or not all(_LABEL.match(label) for label in labels):
        raise ValueError("is not a valid host name (letters, digits, hyphens and dots)")
    if labels[-1].isdigit():
        raise ValueError("is not a valid host name or IPv4 address")
    return name


def check_proxy(value: str) -> str:
    """An outbound proxy: a host as check_host allows, optionally with a port
    (`proxy.example.com`, `proxy.example.com:5070`, `[2001:db8::1]:5070`); returned normalised.
    Without a port the edge looks the proxy up like a registrar (RFC 3263: SRV, then A)."""
    value = value.strip()
    if "://" in value or value.lower().startswith(("sip:", "sips:")):
        check_host(value)  # says: without a scheme
    host, port = split_proxy(value)
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError("must be a host name or IP address, optionally with :port (1-65535)")
    host = check_host(host)
    if port is None:
        return host
    return f"[{host}]:{int(port)}" if ":" in host else f"{host}:{int(port)}"


def split_proxy(value: str) -> tuple[str, str | None]:
    """(host, port or None) of `host`, `host:port`, `[v6]` or `[v6]:port`."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, (rest[1:] if rest.startswith(":") else None) if rest else None
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, port
    return value, None


def _ascii_name(name: str) -> str:
    """An internationalised name (bücher.example) in the form DNS and SIP carry
    (xn--bcher-kva.example); ASCII names as they are."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("is not a valid host name (letters, digits, hyphens and dots)") from None


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


# A PBX source network wider than this would let half the internet start calls.
MIN_SOURCE_PREFIX = {4: 16, 6: 48}
MAX_SOURCES = 16


def check_source_networks(values: list[str]) -> tuple[str, ...]:
    """A trunk's extra PBX source addresses: IPv4/IPv6 addresses or CIDRs, normalised
    ("192.0.2.7/32" → "192.0.2.7"), at most MAX_SOURCES, none wider than /16 (IPv4) or /48
    (IPv6). Raise ValueError saying which entry (by position: errors never echo input) is
    wrong."""
    if len(values) > MAX_SOURCES:
        raise ValueError(f"may list at most {MAX_SOURCES} addresses or networks")
    found: list[str] = []
    for number, value in enumerate(values, 1):
        text = value.strip() if isinstance(value, str) else ""
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"entry {number} is not an IP address or a CIDR network such as "
                             "198.51.100.0/28") from None
        if net.prefixlen < MIN_SOURCE_PREFIX[net.version]:
            raise ValueError(f"entry {number} is wider than /{MIN_SOURCE_PREFIX[net.version]}: "
                             "list the PBX's own addresses, not a whole provider's range")
        normal = str(net.network_address) if net.num_addresses == 1 else str(net)
        if normal not in found:
            found.append(normal)
    return tuple(found)


def uri_host(host: str) -> str:
    """Host as it appears inside a SIP URI (IPv6 literals need brackets)."""
    return f"[{host}]" if ":" in host else host
