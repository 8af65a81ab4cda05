"""Where our edges reach a PBX from: what a PBX admin allows through the PBX's firewall.

A PBX that only accepts registrations and media from known addresses (3CX's IP blocklist,
FreePBX's firewall, a hosted PBX's allowlist) stays silent to an edge it does not know, and the
trunk reads Connecting with nothing else to go on. So the trunk representation and the
Connecting hint name the addresses: deployed, the edges' Elastic IP pool (every edge claims one
at boot; a trunk may move to any of them), set by the CDK app in SMARTALEX_EDGE_PUBLIC_ADDRESSES;
on one machine, loopback. And the port range the edges' media (RTP/RTCP) uses, defined here
once (edge/sip/account.py configures pjsua with it).
"""

from __future__ import annotations

from dataclasses import dataclass

RTP_PORT_FIRST = 10000
RTP_PORT_LAST = 19999
LOCAL_ADDRESSES = ("127.0.0.1",)


@dataclass(frozen=True)
class EdgeAddresses:
    addresses: tuple[str, ...]   # () when a deployment did not say (then named generically)
    rtp_first: int = RTP_PORT_FIRST
    rtp_last: int = RTP_PORT_LAST

    @property
    def rtp_ports(self) -> str:
        return f"{self.rtp_first}–{self.rtp_last}"

    def allow(self) -> str:
        """'127.0.0.1 (SIP, and RTP on UDP ports 10000–19999)' for messages."""
        who = ", ".join(self.addresses) if self.addresses else "our edges' public addresses"
        return f"{who} (SIP, and RTP on UDP ports {self.rtp_ports})"


def for_stage(local: bool, configured: tuple[str, ...]) -> EdgeAddresses:
    """The configured pool, else loopback on a machine-local stage."""
    return EdgeAddresses(configured or (LOCAL_ADDRESSES if local else ()))
