"""Use cases of a tenant's settings."""

from __future__ import annotations

from ..domain.tenant_settings import TenantSettings, UpdateTenantSettings
from .ports import TenantSettingsRepository
from .trunks import Clock, utcnow


def get_settings(tenant_id: str, *, settings: TenantSettingsRepository) -> TenantSettings:
    return settings.get(tenant_id)


def update_settings(cmd: UpdateTenantSettings, *, settings: TenantSettingsRepository,
                    clock: Clock = utcnow) -> TenantSettings:
    """Replace the settings; they apply to what is configured from now on (a number bound
    earlier keeps the E.164 number it was bound with)."""
    updated = TenantSettings(cmd.tenant_id, cmd.default_country, clock())
    settings.put(updated)
    return updated
