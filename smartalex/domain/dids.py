"""Public numbers (DIDs) as admins type them, normalised to E.164 with `phonenumbers`.

Admins paste numbers in every shape ("+353 87 123 4567", "(087) 123-4567", "00353871234567");
a national shape only means something with a country, so it needs one. Messages name the field
and never repeat the number (house rule for API messages).
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from .errors import InvalidInput

MAX_DID = 32
# What people put between digits. Letters are refused although phonenumbers would read
# "1-800-FLOWERS" as digits: a DID typed with letters is a typo far more often than a vanity
# number, and binding the wrong number is worse than asking for digits.
_DID_CHARS = re.compile(r"^[0-9+\-(). /]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")

NATIONAL_WITHOUT_COUNTRY = ("did is in national format: give country (the ISO 3166 code of "
                            "the number's country, e.g. \"IE\"), set your default_country "
                            "(PUT /v1/settings), or give the number in international format "
                            "starting with +, e.g. +353 87 123 4567")


def check_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code phonenumbers knows, upper-cased ("ie" → "IE")."""
    code = value.strip().upper()
    if not _COUNTRY.match(code) or code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code such as IE, GB or US")
    return code


def check_did_text(value: str) -> str:
    """Cheap checks before parsing: length and characters."""
    text = value.strip()
    if not text:
        raise ValueError("is required")
    if len(text) > MAX_DID:
        raise ValueError(f"must be at most {MAX_DID} characters")
    if not _DID_CHARS.match(text):
        raise ValueError("may contain only digits, spaces and + - ( ) . /")
    return text


def normalise(text: str, country: str | None) -> str:
    """The E.164 form of a valid number ("+353871234567"); InvalidInput naming `did` otherwise.

    Without `country` only the international format ("+…") can be read: "00…" is international
    only in the countries whose exit code is 00, and "0871234567" is national.
    """
    text = check_did_text(text)
    international_format = text.startswith("+")
    if country is None and not international_format:
        raise InvalidInput(NATIONAL_WITHOUT_COUNTRY, field="did")
    read_in = None if international_format else country  # "+" names its own country
    try:
        number = phonenumbers.parse(text, country)
    except NumberParseException:
        raise InvalidInput(_invalid(read_in), field="did") from None
    if number.extension or not phonenumbers.is_valid_number(number):
        raise InvalidInput(_invalid(read_in), field="did")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _invalid(country: str | None) -> str:
    where = f" in {country}" if country else ""
    return (f"did is not a valid phone number{where}: give the full public number, e.g. "
            "+353 87 123 4567")


def national_significant(e164: str) -> str:
    """The number without its country code ("+353871234567" → "871234567"; Italy keeps its
    leading 0: "+390612345678" → "0612345678")."""
    return phonenumbers.national_significant_number(phonenumbers.parse(e164, None))


def international(e164: str) -> str:
    """How people write it: "+353871234567" → "+353 87 123 4567"."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None),
                                          PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164
