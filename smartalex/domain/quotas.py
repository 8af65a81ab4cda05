"""Per-tenant quotas: how many trunks, agents, phone numbers, and directory entries per trunk a
tenant may have.

They bound what one tenant can make the system hold and the edges register (every trunk is a
registration an edge keeps alive; every entry is matched on every transfer), so that a script
or a compromised admin account cannot grow a tenant without bound. The defaults fit a real
multi-site office with room to spare: a trunk per site or department line, an agent each, a
hundred public numbers, a directory of a thousand people (the size the matcher is measured at:
benchmarks/directory_matcher.py). Each stage can change them (infra/cdk/environments.py, which
sets SMARTALEX_QUOTA_* on the runtimes).

Counts are read before writing, so two creates racing at the limit can both pass: a quota
bounds cost and abuse, it is not an invariant the data depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping

from .directory_commands import MAX_ENTRIES
from .errors import QuotaExceeded

ASK = "or ask SmartAlex support to raise the limit"


@dataclass(frozen=True)
class Quotas:
    trunks: int = 20
    agents: int = 20
    phone_numbers: int = 100
    directory_entries: int = MAX_ENTRIES  # per trunk

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"quota {f.name} must be a whole number of at least 1")

    @classmethod
    def from_settings(cls, values: Mapping[str, str]) -> "Quotas":
        """Quotas from text settings by field name ({"trunks": "50"}); the rest default."""
        parsed = {}
        for name, text in values.items():
            try:
                parsed[name] = int(text)
            except ValueError:
                raise ValueError(f"quota {name} must be a whole number, not {text!r}") from None
        return cls(**parsed)

    def as_settings(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

    def check_trunks(self, existing: int) -> None:
        if existing >= self.trunks:
            raise QuotaExceeded(
                f"This account already has {existing:,} trunks, the most it may have "
                f"({self.trunks:,}). Delete one it no longer uses "
                f"(DELETE /v1/trunks/{{trunk_id}}), {ASK}.")

    def check_agents(self, existing: int) -> None:
        if existing >= self.agents:
            raise QuotaExceeded(
                f"This account already has {existing:,} agents, the most it may have "
                f"({self.agents:,}). Delete one it no longer uses "
                f"(DELETE /v1/agents/{{agent_id}}), {ASK}.")

    def check_phone_numbers(self, existing: int) -> None:
        if existing >= self.phone_numbers:
            raise QuotaExceeded(
                f"This account already has {existing:,} phone numbers bound, the most it may "
                f"have ({self.phone_numbers:,}). Unbind one it no longer uses "
                f"(DELETE /v1/phone-numbers/{{number_id}}), {ASK}.")

    def check_directory(self, existing: int) -> None:
        if existing >= self.directory_entries:
            raise QuotaExceeded(
                f"This trunk's directory already has {existing:,} entries, the most it may "
                f"hold ({self.directory_entries:,}). Remove one first, {ASK}.")


DEFAULT_QUOTAS = Quotas()
