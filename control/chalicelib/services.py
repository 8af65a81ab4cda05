"""The core's services, built once per Lambda container so warm invocations reuse the
DynamoDB connection and the Secrets Manager client."""

from __future__ import annotations

from smartalex.bootstrap import Services, bootstrap

_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = bootstrap()
    return _services


def use_services(replacement: Services | None) -> None:
    """Swap the services (tests); None rebuilds them with `bootstrap()` on next use."""
    global _services
    _services = replacement
