"""Trunk use cases behind the API: create, change, delete, Re-register, read."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timezone
from typing import Callable

from ..domain.assignment import FleetRoom
from ..domain.commands import CreateTrunk, DeleteTrunk, ReregisterTrunk, UpdateTrunk
from ..domain.errors import Conflict, NotFound
from ..domain.phone_number import still_bound
from ..domain.quotas import DEFAULT_QUOTAS, Quotas
from ..domain.sip import split_proxy
from ..domain.registration import RegistrationStatus
from ..domain.targets import ANYWHERE, TargetGuard
from ..domain.trunk import REGISTRATION_FIELDS, SipAccount, Trunk
from .ports import DirectoryRepository, PhoneNumberRepository, SecretStore, TrunkRepository

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def fleet_room(shown: list[Trunk], trunks: TrunkRepository, now: float) -> FleetRoom | None:
    """The edges' room when a trunk about to be shown is held by no edge (what it is waiting
    for: registration.as_shown); not read when every one is held."""
    if all(t.held_at(now) is not None for t in shown):
        return None
    return trunks.fleet_room()


def new_trunk_id() -> str:
    return f"trk_{uuid.uuid4().hex[:20]}"


def create_trunk(cmd: CreateTrunk, *, trunks: TrunkRepository, secrets: SecretStore,
                 targets: TargetGuard = ANYWHERE, quotas: Quotas = DEFAULT_QUOTAS,
                 clock: Clock = utcnow) -> Trunk:
    """Store the password first (under the new id), then the trunk; undo the secret on conflict.
    `targets` refuses a domain the edge must not connect to, `quotas` a trunk too many (the API
    passes the deployment's)."""
    quotas.check_trunks(len(trunks.list(cmd.tenant_id)))
    targets.check_host(cmd.domain, field="domain")
    if cmd.outbound_proxy:
        targets.check_host(split_proxy(cmd.outbound_proxy)[0], field="outbound_proxy")
    now = clock()
    account = SipAccount(cmd.domain, cmd.extension, cmd.username, cmd.transport, cmd.port,
                         cmd.tls_verify, tuple(cmd.pbx_source_addresses), cmd.explicit_port,
                         cmd.outbound_proxy)
    trunk = Trunk(
        trunk_id=new_trunk_id(), tenant_id=cmd.tenant_id, pbx_type=cmd.pbx_type,
        account=account, label=cmd.label, created_at=now, updated_at=now,
        registration=RegistrationStatus(since=now),
        answer_delay_seconds=cmd.answer_delay_seconds,
    )
    secrets.put(trunk.trunk_id, cmd.password.get_secret_value())
    try:
        trunks.add(trunk)
    except BaseException:
        secrets.delete(trunk.trunk_id)
        raise
    return trunk


def update_trunk(cmd: UpdateTrunk, *, trunks: TrunkRepository, secrets: SecretStore,
                 targets: TargetGuard = ANYWHERE, clock: Clock = utcnow) -> Trunk:
    """Apply a PATCH; anything the PBX must see again bumps the generation (re-register)."""
    before = trunks.get(cmd.tenant_id, cmd.trunk_id)
    changes = cmd.changes()
    if "domain" in changes:
        targets.check_host(changes["domain"], field="domain")
    if changes.get("outbound_proxy"):
        targets.check_host(split_proxy(changes["outbound_proxy"])[0], field="outbound_proxy")
    now = clock()
    account = before.account
    account_fields = {k: v for k, v in changes.items() if k in REGISTRATION_FIELDS - {"password"}}
    if "port" in changes:
        account_fields["explicit_port"] = True  # a port given is used as given
    if account_fields:
        account = replace(account, **account_fields)
        if "port" not in changes and account.transport != before.account.transport:
            account = replace(account, port=account.transport.default_port)
    after = replace(
        before, account=account, updated_at=now,
        pbx_type=changes.get("pbx_type", before.pbx_type),
        label=changes["label"] if "label" in changes else before.label,
        answer_delay_seconds=changes.get("answer_delay_seconds", before.answer_delay_seconds),
    )
    reregister = account != before.account or "password" in changes
    if reregister:
        after = _next_generation(after, now)
    if "password" not in changes:
        trunks.replace(before, after)
        return after
    try:
        previous = secrets.get(before.trunk_id)
    except NotFound:
        previous = None  # exactly the case the NO_CREDENTIALS message asks the admin to fix
    secrets.put(before.trunk_id, cmd.password.get_secret_value())
    try:
        trunks.replace(before, after)
    except BaseException:
        if previous is None:
            secrets.delete(before.trunk_id)
        else:
            secrets.put(before.trunk_id, previous)
        raise
    return after


def reregister_trunk(cmd: ReregisterTrunk, *, trunks: TrunkRepository,
                     clock: Clock = utcnow) -> Trunk:
    """The dashboard's Re-register button: a new generation makes the edge start over at once."""
    before = trunks.get(cmd.tenant_id, cmd.trunk_id)
    after = _next_generation(before, clock())
    trunks.replace(before, after)
    return after


def delete_trunk(cmd: DeleteTrunk, *, trunks: TrunkRepository, numbers: PhoneNumberRepository,
                 directory: DirectoryRepository, secrets: SecretStore) -> None:
    """Remove the trunk, its password and its directory; its edge notices on its next poll,
    un-registers and lets go. Refused (Conflict) while phone numbers are bound to it; `remove`
    is conditioned on the bindings_version read here, so a number bound meanwhile cannot slip
    through. The directory goes last: once the trunk is gone no write can add an entry, and an
    entry left behind by a failure here is unreachable (every directory route needs the trunk)."""
    trunk = trunks.get(cmd.tenant_id, cmd.trunk_id)
    bound = numbers.for_trunk(trunk.trunk_id)
    if bound:
        raise Conflict(still_bound("trunk", bound))
    trunks.remove(trunk)
    secrets.delete(trunk.trunk_id)
    directory.remove_all(trunk.trunk_id)


def _next_generation(trunk: Trunk, now: datetime) -> Trunk:
    return replace(trunk, generation=trunk.generation + 1, updated_at=now,
                   registration=RegistrationStatus(since=now))
