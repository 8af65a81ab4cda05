"""PBX presets: what differs between the PBXs an admin picks from, in one place.

A trunk created without transport or port takes its type's defaults; failure messages use the
PBX's own words (where it shows the SIP credentials, what it calls registering from outside its
network); `GET /v1/pbx-types` and docs/pbx/ tell the admin the rest. Menu names are the
vendors' current ones (3CX V20, Yeastar P-Series, FreePBX 16/17, Asterisk 20+, Grandstream UCM6300);
older releases move them about.

The edge itself behaves alike for every type: the quirks listed are the ones each PBX needs of
it (all of them always on), so an admin knows they are handled.
"""

from __future__ import annotations

from dataclasses import dataclass

from .registration import PbxWords
from .trunk import PbxType, Transport

# What every PBX needs of the edge, whatever its type.
REFER_CHALLENGE = ("A transfer's REFER challenged for the extension's password (407) is "
                   "answered, for the registrar's realm only")
ONE_CONTACT = ("One registration per extension: the edge never registers an extension another "
               "trunk registers, since most PBXs let the newest registration take the calls")
KEEPS_CALLER_ID = ("Inbound calls show the original caller from the PBX's From, "
                   "P-Asserted-Identity or Diversion headers")


@dataclass(frozen=True)
class PbxPreset:
    type: PbxType
    name: str
    transport: Transport
    port: int
    # Whether the username (authentication ID) is usually another string than the extension.
    auth_id_differs: bool
    credentials: str      # where the PBX's admin console shows the extension's SIP credentials
    transfers: str        # what to enable so the AI's transfers (SIP REFER) are accepted
    outside_network: str | None  # the PBX's own words for "may not register from outside"
    quirks: tuple[str, ...]

    @property
    def guide(self) -> str:
        return f"docs/pbx/{self.type.value}.md"

    @property
    def words(self) -> PbxWords:
        """For messages; "Other SIP PBX" adds nothing to the generic wording."""
        if self.type is PbxType.OTHER:
            return PbxWords(self.name, None, None)
        return PbxWords(self.name, self.credentials, self.outside_network)


PRESETS: dict[PbxType, PbxPreset] = {p.type: p for p in (
    PbxPreset(
        PbxType.THREECX, "3CX", Transport.UDP, 5060, auth_id_differs=True,
        credentials=("under Users → the user → IP Phone / Authentication: the Authentication ID "
                     "(a random string, not the extension number) and its password"),
        transfers="nothing: 3CX accepts REFER from its own extensions (it challenges it first)",
        outside_network=("the user's \"Disallow use of extension outside the LAN\" option "
                         "(on by default), or 3CX's IP blocklist (Security → Blocked IPs)"),
        quirks=(REFER_CHALLENGE, ONE_CONTACT, KEEPS_CALLER_ID)),
    PbxPreset(
        PbxType.YEASTAR, "Yeastar", Transport.UDP, 5060, auth_id_differs=True,
        credentials=("under Extension and Trunk → Extension → the extension → User: the "
                     "Registration Name and Registration Password"),
        transfers="nothing: Yeastar accepts blind transfers from its extensions",
        outside_network=("the extension's Security settings (\"Allow Register Remotely\", allowed "
                         "IP addresses) or Yeastar's IP Blocklist (Security → Security Rules)"),
        quirks=(ONE_CONTACT, KEEPS_CALLER_ID)),
    PbxPreset(
        PbxType.FREEPBX, "FreePBX", Transport.UDP, 5060, auth_id_differs=False,
        credentials=("under Applications → Extensions → the extension → General: the "
                     "extension number is the username and Secret is the password"),
        transfers=("nothing for PJSIP extensions (transfers are allowed by default); use a PJSIP "
                   "extension: chan_sip, if still enabled, listens on port 5160 instead"),
        outside_network=("the Firewall module (Connectivity → Firewall: add our addresses as "
                         "Trusted) or Intrusion Detection (fail2ban)"),
        quirks=(ONE_CONTACT, KEEPS_CALLER_ID)),
    PbxPreset(
        PbxType.ASTERISK, "Asterisk", Transport.UDP, 5060, auth_id_differs=False,
        credentials="in pjsip.conf: the endpoint's auth section (username and password)",
        transfers="nothing: PJSIP endpoints allow transfers unless allow_transfer=no",
        outside_network="the endpoint's or the global ACL (permit/deny) and fail2ban",
        quirks=(ONE_CONTACT, KEEPS_CALLER_ID)),
    PbxPreset(
        PbxType.GRANDSTREAM, "Grandstream UCM", Transport.UDP, 5060, auth_id_differs=False,
        credentials=("under Extension/Trunk → Extensions → the extension → Basic Settings: the "
                     "Auth ID (the extension number unless changed) and the SIP/IAX Password"),
        transfers="nothing: UCM extensions may transfer by default",
        outside_network=("the extension's Strategy (\"Local Subnet Only\" or a specific IP) or "
                         "Fail2ban (System Settings → Security Settings)"),
        quirks=(ONE_CONTACT, KEEPS_CALLER_ID)),
    PbxPreset(
        PbxType.OTHER, "Other SIP PBX", Transport.UDP, 5060, auth_id_differs=False,
        credentials="in the extension's settings: its SIP username (often the number) and password",
        transfers="allow transfers (SIP REFER) for the extension, if the PBX restricts them",
        outside_network=None,
        quirks=(REFER_CHALLENGE, ONE_CONTACT, KEEPS_CALLER_ID)),
)}


def preset(pbx_type: PbxType | str) -> PbxPreset:
    return PRESETS[PbxType(pbx_type)]
