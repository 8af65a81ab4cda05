"""Domain errors: one base class, one subclass per thing a caller can act on."""


class DomainError(Exception):
    """Base of every error the core raises on purpose; the message is safe to show an admin."""


class NotFound(DomainError):
    """The tenant has no such resource (another tenant's resource is reported the same way)."""


class Conflict(DomainError):
    """The request collides with existing state, e.g. the same extension on the same PBX twice."""


class QuotaExceeded(Conflict):
    """The tenant already has as many of something as its quota allows (smartalex/domain/quotas.py)."""


class InvalidInput(DomainError):
    """Input failed validation; `field` names the offending field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
