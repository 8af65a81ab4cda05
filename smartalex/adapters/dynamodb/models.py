"""One pynamodb model per table: the single definition used by the API, the handlers, the
edge, the local bootstrap (`schema.create_tables`) and the CDK stack (`schema.table_specs`)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .. import aws, names

PLACEMENT_POOL = "pool"


class TenantIndex(GlobalSecondaryIndex["TrunkModel"]):
    """A tenant's trunks, for listing."""

    class Meta:
        index_name = "tenant-index"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    trunk_id = UnicodeAttribute(range_key=True)


class PlacementIndex(GlobalSecondaryIndex["TrunkModel"]):
    """Trunks by lease expiry, so an edge finds unheld trunks with one bounded query."""

    class Meta:
        index_name = "placement-index"
        projection = KeysOnlyProjection()

    placement = UnicodeAttribute(hash_key=True)
    lease_expires_at = NumberAttribute(range_key=True)


class TrunkModel(Model):
    class Meta:
        table_name = names.trunks_table()
        region = aws.region()
        billing_mode = "PAY_PER_REQUEST"

    trunk_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    pbx_type = UnicodeAttribute()
    domain = UnicodeAttribute()
    extension = UnicodeAttribute()
    username = UnicodeAttribute()
    transport = UnicodeAttribute()
    port = NumberAttribute()
    label = UnicodeAttribute(null=True)
    generation = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Registration status, written by the edge-events handler (conditional on reg_order).
    reg_state = UnicodeAttribute()
    reg_error = UnicodeAttribute(null=True)
    reg_sip_code = NumberAttribute(null=True)
    reg_since = UTCDateTimeAttribute(null=True)
    reg_last_attempt_at = UTCDateTimeAttribute(null=True)
    reg_expires_at = UTCDateTimeAttribute(null=True)
    reg_order = UnicodeAttribute()
    # Lease, written by edges with conditional updates (docs/assignments.md).
    placement = UnicodeAttribute(default=PLACEMENT_POOL)
    lease_owner = UnicodeAttribute(null=True)
    lease_fence = NumberAttribute(default=0)
    lease_expires_at = NumberAttribute(default=0)
    lease_since = UTCDateTimeAttribute(null=True)

    tenant_index = TenantIndex()
    placement_index = PlacementIndex()


class ClaimModel(Model):
    """Uniqueness claims written in the same transaction as what they protect, e.g.
    `trunk:<tenant>:<domain>:<extension>` (and, later, a DID bound at most once)."""

    class Meta:
        table_name = names.claims_table()
        region = aws.region()
        billing_mode = "PAY_PER_REQUEST"

    claim = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()


MODELS: tuple[type[Model], ...] = (TrunkModel, ClaimModel)
