"""Errors of the built-in receptionist."""

from __future__ import annotations


class ReceptionistError(Exception):
    """Base of the receptionist's errors."""


class ToolMissing(ReceptionistError):
    """A system program the receptionist needs (espeak-ng, sox) is not installed."""


class SynthesisFailed(ReceptionistError):
    """espeak-ng or sox ran but did not produce audio."""
