"""One pynamodb model per table: the single definition used by the API, the handlers, the
edge, the local bootstrap (`schema.create_tables`) and the CDK stack (`schema.table_specs`)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from .. import aws, names


class _Meta:
    """What every table's Meta shares: the region, on-demand billing, and the same bounded
    waits as the boto3 clients (adapters/aws.py) instead of pynamodb's 30 s x 4 tries."""

    region = aws.region()
    billing_mode = "PAY_PER_REQUEST"
    connect_timeout_seconds = aws.CONNECT_TIMEOUT
    read_timeout_seconds = aws.READ_TIMEOUT
    max_retry_attempts = aws.ATTEMPTS - 1



class TenantIndex(GlobalSecondaryIndex["TrunkModel"]):
    """A tenant's trunks, for listing."""

    class Meta:
        index_name = "tenant-index"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    trunk_id = UnicodeAttribute(range_key=True)


class HolderIndex(GlobalSecondaryIndex["TrunkModel"]):
    """Trunks by the edge lease they are held under (`free#<shard>` when unheld), so an edge
    finds a dead edge's trunks, or unheld ones, with one bounded query. Written only when a
    trunk changes hands, never by a renewal (docs/assignments.md, "Write rates")."""

    class Meta:
        index_name = "holder-index"
        projection = KeysOnlyProjection()

    lease_holder = UnicodeAttribute(hash_key=True)


class TrunkModel(Model):
    class Meta(_Meta):
        table_name = names.trunks_table()

    trunk_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    pbx_type = UnicodeAttribute()
    domain = UnicodeAttribute()
    extension = UnicodeAttribute()
    username = UnicodeAttribute()
    transport = UnicodeAttribute()
    port = NumberAttribute()
    tls_verify = BooleanAttribute(null=True)
    pbx_source_addresses = ListAttribute(of=UnicodeAttribute, null=True)
    explicit_port = BooleanAttribute(null=True)  # absent (older items): the port was given
    outbound_proxy = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    generation = NumberAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Registration status, written by the edge-events handler (conditional on reg_order).
    reg_state = UnicodeAttribute()
    reg_error = UnicodeAttribute(null=True)
    reg_warning = UnicodeAttribute(null=True)
    reg_sip_code = NumberAttribute(null=True)
    reg_since = UTCDateTimeAttribute(null=True)
    reg_last_attempt_at = UTCDateTimeAttribute(null=True)
    reg_expires_at = UTCDateTimeAttribute(null=True)
    reg_order = UnicodeAttribute()
    # Who holds it, written by edges with conditional updates (docs/assignments.md): the edge
    # lease it is held under (EdgeLeaseModel.holder), or free#<shard>; set when created.
    lease_holder = UnicodeAttribute(null=True)
    lease_fence = NumberAttribute(default=0)
    lease_since = UTCDateTimeAttribute(null=True)
    # The agent answering this trunk's calls (one per trunk), and a counter the edge watches to
    # refresh its cached copy of the trunk's directory.
    agent_id = UnicodeAttribute(null=True)
    directory_version = NumberAttribute(default=0)
    # Bumps whenever a phone number is bound to or unbound from this trunk (edges re-route).
    bindings_version = NumberAttribute(default=0)
    # Bumps whenever the linked agent's settings or signing secret change (edges re-read it).
    agent_version = NumberAttribute(default=0)
    # Seconds the AI rings before answering (absent on older items: 0).
    answer_delay_seconds = NumberAttribute(null=True)
    # The numbers bound to it, and how many (0 with no set: DynamoDB has no empty sets), written
    # with every bind and unbind; absent on trunks from before they were recorded.
    bound_numbers = UnicodeSetAttribute(null=True)
    bound_count = NumberAttribute(null=True)

    tenant_index = TenantIndex()
    holder_index = HolderIndex()


FLEET = "fleet"


class FleetIndex(GlobalSecondaryIndex["EdgeLeaseModel"]):
    """Every edge lease, keys only, for finding dead edges. Written when an edge starts or its
    item goes, never by a renewal (`expires_at` is not projected); the expiries are then read
    from the table itself."""

    class Meta:
        index_name = "fleet-index"
        projection = KeysOnlyProjection()

    fleet = UnicodeAttribute(hash_key=True)


class EdgeLeaseModel(Model):
    """One item per edge incarnation: its lease, renewed every second while the edge lives.
    Every trunk whose `lease_holder` names it is held until `expires_at` (writer's clock, epoch
    seconds; 0 once the edge handed everything back). A few hundred items at most; an edge that
    finds a dead edge's item with none of its trunks left deletes it (edge/assignments.py)."""

    class Meta(_Meta):
        table_name = names.edges_table()

    holder = UnicodeAttribute(hash_key=True)  # `<edge id>#<incarnation>`
    edge_id = UnicodeAttribute()
    expires_at = NumberAttribute()
    acquired_at = UTCDateTimeAttribute()
    finished_at = NumberAttribute(null=True)  # when expires_at was set to 0 (epoch seconds)
    # Registrations the edge can still take, written with every renewal: a trunk no edge holds
    # reads "no capacity left" while every live edge has none (registration.as_shown).
    room = NumberAttribute(null=True)
    fleet = UnicodeAttribute(default=FLEET)

    fleet_index = FleetIndex()


class ClaimModel(Model):
    """Uniqueness claims: `trunk:<tenant>:<domain>:<extension>` and a DID bound at most once,
    written in the same transaction as what they protect; and the edge's
    `registration:<address>:<port>:<extension>` (one trunk registers a PBX extension, across
    tenants: adapters/dynamodb/registration_claims.py), which expire unless renewed."""

    class Meta(_Meta):
        table_name = names.claims_table()

    claim = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # epoch seconds; registration claims only


class AgentTenantIndex(GlobalSecondaryIndex["AgentModel"]):
    class Meta:
        index_name = "tenant-index"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    agent_id = UnicodeAttribute(range_key=True)


class AgentModel(Model):
    class Meta(_Meta):
        table_name = names.agents_table()

    agent_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    stream_url = UnicodeAttribute(null=True)
    greeting = UnicodeAttribute(null=True)
    trunk_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    bindings_version = NumberAttribute(default=0)  # bumps when a number is bound to the agent

    tenant_index = AgentTenantIndex()


class DirectoryEntryModel(Model):
    """A trunk's directory: who callers can ask for, one item per extension."""

    class Meta(_Meta):
        table_name = names.directory_table()

    trunk_id = UnicodeAttribute(hash_key=True)
    extension = UnicodeAttribute(range_key=True)
    tenant_id = UnicodeAttribute()
    display_name = UnicodeAttribute()
    aliases = ListAttribute(of=UnicodeAttribute, default=list)
    updated_at = UTCDateTimeAttribute()


class TenantSettingsModel(Model):
    """One item per tenant that has changed a setting (absent: the defaults)."""

    class Meta(_Meta):
        table_name = names.settings_table()

    tenant_id = UnicodeAttribute(hash_key=True)
    default_country = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()


class LineIndex(GlobalSecondaryIndex["CallRecordModel"]):
    """Calls of one line (a bound DID, or the extension itself), newest first, bounded."""

    class Meta:
        index_name = "line-index"
        projection = AllProjection()

    line_key = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)


class CallRecordModel(Model):
    """One item per call. `sort_key` = `<started_at ISO>#<call_id>` so "the last N calls in the
    last 24 h" is one bounded query (descending, Limit N, sort_key >= now-24h)."""

    class Meta(_Meta):
        table_name = names.calls_table()

    trunk_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)
    line_key = UnicodeAttribute()
    call_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    extension = UnicodeAttribute()
    caller_number = UnicodeAttribute(null=True)
    caller_name = UnicodeAttribute(null=True)
    dialled = UnicodeAttribute(null=True)
    agent_id = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    answered_at = UTCDateTimeAttribute(null=True)
    ended_at = UTCDateTimeAttribute()
    outcome = UnicodeAttribute()
    transfer_target = UnicodeAttribute(null=True)
    sip_call_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()  # 30 days

    line_index = LineIndex()


class ErrorRecordModel(Model):
    """Phone-related errors for Diagnostics; `sort_key` = `<at ISO>#<error_id>`, 7-day TTL."""

    class Meta(_Meta):
        table_name = names.errors_table()

    trunk_id = UnicodeAttribute(hash_key=True)
    sort_key = UnicodeAttribute(range_key=True)
    error_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    source = UnicodeAttribute()
    message = UnicodeAttribute()
    hint = UnicodeAttribute(null=True)
    call_id = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()  # 7 days


class NumberTenantIndex(GlobalSecondaryIndex["PhoneNumberModel"]):
    class Meta:
        index_name = "tenant-index"
        projection = AllProjection()

    tenant_id = UnicodeAttribute(hash_key=True)
    number_id = UnicodeAttribute(range_key=True)


class NumberTrunkIndex(GlobalSecondaryIndex["PhoneNumberModel"]):
    """A trunk's bound numbers, for the edge's call routing."""

    class Meta:
        index_name = "trunk-index"
        projection = AllProjection()

    trunk_id = UnicodeAttribute(hash_key=True)
    number_id = UnicodeAttribute(range_key=True)


class PhoneNumberModel(Model):
    """A public number (DID) bound to a trunk's AI extension and an agent. Its uniqueness across
    tenants is a `did:<e164>` claim written in the same transaction."""

    class Meta(_Meta):
        table_name = names.phone_numbers_table()

    number_id = UnicodeAttribute(hash_key=True)
    tenant_id = UnicodeAttribute()
    e164 = UnicodeAttribute()
    national_number = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    trunk_id = UnicodeAttribute()
    extension = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    tenant_index = NumberTenantIndex()
    trunk_index = NumberTrunkIndex()


MODELS: tuple[type[Model], ...] = (
    TrunkModel, EdgeLeaseModel, ClaimModel, AgentModel, DirectoryEntryModel, CallRecordModel, ErrorRecordModel,
    PhoneNumberModel, TenantSettingsModel,
)


def connect(models: tuple[type[Model], ...] = MODELS) -> None:
    """Build each table's botocore client now, on one thread. pynamodb builds it on first use
    without a lock, so a pool of threads making their first calls at once built one each: at
    an edge's start, ten threads claiming and reading trunks spent seconds of CPU building ten
    clients per table before the first trunk could register."""
    for model in models:
        model._get_connection().connection.client  # noqa: B018 (a property that builds it)
