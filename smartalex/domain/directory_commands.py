"""Directory commands: what an admin asks of a trunk's directory, validated on construction.

The field rules live here so the API, a bulk import and the tests share them: the extension is
a SIP user part (it becomes `Refer-To: <sip:EXT@pbx>`), the display name 1-64 characters,
aliases trimmed, de-duplicated ignoring case, empty ones dropped, at most 20 of 64 characters.
"""

from __future__ import annotations

import unicodedata
from pydantic import Field, field_validator

from . import sip
from .commands import Command
from .directory import DirectoryEntry

MAX_EXTENSION = 32
MAX_NAME = 64
MAX_ALIAS = 64
MAX_ALIASES = 20
MAX_ENTRIES = 1000          # per trunk: the default quota (quotas.py), what the matcher is sized for
MAX_TEXT = 1000             # a resolve request: one utterance, not a transcript


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def check_extension(value: str) -> str:
    return sip.check_user_part(value, MAX_EXTENSION)


def check_display_name(value: str) -> str:
    name = " ".join(_printable(value).split())
    if not name:
        raise ValueError("is required")
    if len(name) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters")
    return name


def check_aliases(values: list[str]) -> list[str]:
    """Trimmed, empty ones dropped, the first spelling of each kept ("Billing", "billing")."""
    seen: dict[str, str] = {}
    for position, raw in enumerate(values, start=1):
        alias = " ".join(_printable(raw).split())
        if len(alias) > MAX_ALIAS:
            raise ValueError(f"must each be at most {MAX_ALIAS} characters (alias {position} "
                             f"has {len(alias)})")
        if alias:
            seen.setdefault(alias.casefold(), alias)
    if len(seen) > MAX_ALIASES:
        raise ValueError(f"must have at most {MAX_ALIASES} different aliases (got {len(seen)})")
    return list(seen.values())


class _EntryFields(Command):
    @field_validator("extension", check_fields=False)
    @classmethod
    def _extension(cls, value: str) -> str:
        return check_extension(value)

    @field_validator("display_name", check_fields=False)
    @classmethod
    def _display_name(cls, value: str) -> str:
        return check_display_name(value)

    @field_validator("aliases", check_fields=False)
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        return check_aliases(value)

    def entry(self) -> DirectoryEntry:
        return DirectoryEntry(self.extension, self.display_name, tuple(self.aliases))


class CreateDirectoryEntry(_EntryFields):
    tenant_id: str
    trunk_id: str
    extension: str = Field(description="The extension callers are transferred to (SIP user "
                                       "part), e.g. 215")
    display_name: str = Field(description="Who or what answers, e.g. Sarah Murphy or Support")
    aliases: list[str] = Field(default_factory=list, description=(
        "Other names callers use, e.g. billing, front desk (at most 20)"))


class ReplaceDirectoryEntry(CreateDirectoryEntry):
    """The whole entry for the extension in the URL, created if absent."""

    # `extension` is set from the URL; openapi.py leaves path ids out of the body schema.


class DeleteDirectoryEntry(_EntryFields):
    tenant_id: str
    trunk_id: str
    extension: str


class ResolveRequest(Command):
    tenant_id: str
    trunk_id: str
    text: str = Field(max_length=MAX_TEXT, description=(
        "What the caller said, e.g. \"put me through to billing\"; empty gives verdict 'empty'"))
