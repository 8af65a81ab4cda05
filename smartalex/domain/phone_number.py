"""Phone numbers: a public DID bound to a trunk's AI extension and an agent.

A call whose dialled number (Request-URI, To, Diversion, History-Info, P-Called-Party-ID) is a
bound DID goes to that binding's agent; any other call to the trunk goes to the trunk's agent.
PBXs hand the dialled number over in many shapes (+353871234567, 00353…, 0871234567,
871234567), so matching compares national significant numbers, not strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .dids import international

SHOWN_IN_MESSAGES = 3


def did_line(trunk_id: str, e164: str) -> str:
    """The line key of calls that arrived through a bound DID (see call.extension_line)."""
    return f"{trunk_id}#did:{e164}"


@dataclass(frozen=True)
class PhoneNumber:
    number_id: str
    tenant_id: str
    e164: str                 # "+353871234567"
    national_number: str      # "871234567": the E.164 number without country code
    label: str | None
    trunk_id: str
    extension: str            # the AI extension the number reaches (the trunk's own)
    agent_id: str
    created_at: datetime

    @property
    def unique_key(self) -> str:
        """A DID is bound at most once across all tenants."""
        return f"did:{self.e164}"

    @property
    def line_key(self) -> str:
        return did_line(self.trunk_id, self.e164)

    def matches(self, dialled: str | None) -> bool:
        """Whether a number from an INVITE is this DID, in any of the shapes PBXs use."""
        if not dialled:
            return False
        digits = re.sub(r"\D", "", dialled)
        if not digits:
            return False
        if digits == self.e164[1:]:
            return True
        # Trunk prefixes differ by country (0 in Ireland, none in the US, and Italy keeps its 0
        # in the national number itself), so compare without leading zeros on both sides.
        national = digits.lstrip("0")
        return national == self.national_number.lstrip("0") or (
            digits.startswith("00") and digits[2:] == self.e164[1:])


def still_bound(what: str, numbers: list[PhoneNumber]) -> str:
    """Why a trunk or an agent that numbers still route to cannot be deleted (a 409): deleting
    it would leave those numbers routing nowhere, and their DIDs claimed."""
    ordered = sorted(numbers, key=lambda n: n.e164)
    shown = ", ".join(international(n.e164) for n in ordered[:SHOWN_IN_MESSAGES])
    more = len(ordered) - SHOWN_IN_MESSAGES
    listed = f"{shown} and {more} more" if more > 0 else shown
    return (f"Phone numbers are still bound to this {what}: {listed}. Unbind them first "
            "(DELETE /v1/phone-numbers/{number_id}, ids in GET /v1/phone-numbers).")


def lists_every_binding(recorded: frozenset[str] | None, listed: list[PhoneNumber]) -> bool:
    """Whether numbers read through the trunk index are the trunk's current bindings.

    A DynamoDB index is eventually consistent: just after a bind or an unbind it may still
    list the numbers as they were (moto never does, DynamoDB does). The trunk item, read
    consistently, records which numbers are bound; a read that lists other ones is read again
    later. `recorded` None: a trunk from before the record existed, whose index is trusted."""
    return recorded is None or {n.number_id for n in listed} == recorded
