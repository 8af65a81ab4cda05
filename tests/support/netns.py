"""A network namespace of the test's own, joined to this host by a veth pair, with a firewall
inside it: a phone in there sits behind a network the test controls, as a PBX behind a real
firewall does, while the edge and the test PBX stay in the host's namespace.

    host namespace                         the test's namespace
    edge, Kamailio on 10.a.b.1  ── veth ──  10.a.b.2: the phone, and nft rules (`block`)

Nothing leaves the machine: the pair is a point-to-point /30 link, the namespace has no other
interface and no default route, and the host does not forward (ip_forward is left alone). Needs
root (CAP_NET_ADMIN and CAP_SYS_ADMIN for `ip netns`), as CI runs the suite; the namespace (and
with it both ends of the pair and its rules) is deleted on exit, and one left behind by a test
process that was killed is deleted by the next one (its name carries the creator's pid).
"""

from __future__ import annotations

import ipaddress
import os
import random
import re
import subprocess
from pathlib import Path

PREFIX = "sa-test-"
_NAME = re.compile(rf"^{PREFIX}(\d+)-\d+$")
# The /30s the pairs are taken from: private addresses no test PBX or edge uses otherwise.
POOL = ipaddress.ip_network("10.222.0.0/16")


class NamespaceError(RuntimeError):
    """The namespace could not be set up (not root, `ip`/`nft` missing...): says what to do."""


def _run(*cmd: str, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=10)
    except FileNotFoundError as err:
        raise NamespaceError(f"{cmd[0]} is missing: scripts/install-system-deps.sh installs "
                             "iproute2 and nftables") from err
    if done.returncode != 0:
        raise NamespaceError(f"{' '.join(cmd)} failed ({done.returncode}): "
                             f"{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def _delete_orphans() -> None:
    """Namespaces of test processes that died before deleting theirs."""
    for line in _run("ip", "netns", "list").splitlines():
        name = line.split()[0] if line.split() else ""
        match = _NAME.match(name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            subprocess.run(["ip", "netns", "delete", name], capture_output=True, timeout=10)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /30 of POOL no route of the host's overlaps (another test's pair, for one)."""
    routes = [ipaddress.ip_network(line.split()[0], strict=False)
              for line in _run("ip", "-4", "route", "show", "table", "all").splitlines()
              if line and line.split()[0][0].isdigit()]
    subnets = list(POOL.subnets(new_prefix=30))
    for subnet in random.sample(subnets, 64):
        if not any(subnet.overlaps(route) for route in routes if route.prefixlen > 0):
            return subnet
    raise NamespaceError(f"no free /30 left in {POOL}")


class FencedNamespace:
    """`host_address`: this namespace's end of the pair (bind the edge and the PBX there);
    `address`: the test namespace's end; `run_in()` prefixes a command to run in there."""

    def __init__(self):
        if os.geteuid() != 0:
            raise NamespaceError("this test needs root to create a network namespace (ip netns): "
                                 "run it as root, as CI does")
        _delete_orphans()
        self.name = f"{PREFIX}{os.getpid()}-{random.randrange(10**6)}"
        tag = self.name.rsplit("-", 1)[1]
        self.host_if, self.ns_if = f"sah{tag}", f"san{tag}"
        subnet = _free_subnet()
        first, second = list(subnet.hosts())
        self.host_address, self.address = str(first), str(second)
        self._prefix = subnet.prefixlen

    def __enter__(self) -> "FencedNamespace":
        _run("ip", "netns", "add", self.name)
        try:
            _run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if,
                 "netns", self.name)
            _run("ip", "addr", "add", f"{self.host_address}/{self._prefix}", "dev", self.host_if)
            _run("ip", "link", "set", self.host_if, "up")
            _run("ip", "-n", self.name, "addr", "add", f"{self.address}/{self._prefix}", "dev",
                 self.ns_if)
            _run("ip", "-n", self.name, "link", "set", self.ns_if, "up")
            _run("ip", "-n", self.name, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Deleting the namespace deletes its end of the pair, which takes the other end and
        the rules with it."""
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "delete", self.host_if], capture_output=True, timeout=10)

    def run_in(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def block(self, rules: str) -> None:
        """Add nft rules to the input hook of a table in the namespace (the phone's firewall),
        e.g. 'ip saddr 10.222.0.1 udp dport 4000 drop'."""
        _run(*self.run_in(), "nft", "-f", "-", stdin=(
            "table inet sa_test {\n"
            "  chain input {\n"
            "    type filter hook input priority 0; policy accept;\n"
            f"    {rules}\n"
            "  }\n"
            "}\n"))

    def counters(self) -> str:
        """The namespace's ruleset with its counters (what was dropped), for assertions."""
        return _run(*self.run_in(), "nft", "list", "ruleset")
