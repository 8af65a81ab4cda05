"""TenantSettingsRepository on DynamoDB: one item per tenant, written whole."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from ...domain.tenant_settings import TenantSettings
from ...service_layer.ports import TenantSettingsRepository
from .models import TenantSettingsModel


class DynamoTenantSettingsRepository(TenantSettingsRepository):
    def get(self, tenant_id: str) -> TenantSettings:
        try:
            item = TenantSettingsModel.get(tenant_id, consistent_read=True)
        except DoesNotExist:
            return TenantSettings(tenant_id)
        return TenantSettings(tenant_id, item.default_country, item.updated_at)

    def put(self, settings: TenantSettings) -> None:
        TenantSettingsModel(settings.tenant_id, default_country=settings.default_country,
                            updated_at=settings.updated_at).save()
