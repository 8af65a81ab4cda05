"""The core's services for the API routes: one set per Lambda container (smartalex.bootstrap)."""

from smartalex.bootstrap import shared as services
from smartalex.bootstrap import use_shared as use_services

__all__ = ["services", "use_services"]
