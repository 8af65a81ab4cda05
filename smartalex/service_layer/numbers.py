"""Phone-number use cases behind the API: bind a DID to a trunk's AI extension, list, read,
unbind.

The trunk and the agent are named in the request body, so a reference the tenant does not own
(absent, or another tenant's) is a 400 naming the field, worded as "no such …" so that another
tenant's ids are not revealed. The adapter re-checks both inside the binding's transaction.
"""

from __future__ import annotations

import uuid

from ..domain.dids import national_significant
from ..domain.errors import InvalidInput, NotFound
from ..domain.number_commands import BindPbxExtension, UnbindNumber
from ..domain.number_routing import NumberRouting
from ..domain.phone_number import PhoneNumber
from ..domain.quotas import DEFAULT_QUOTAS, Quotas
from .ports import AgentRepository, PhoneNumberRepository, TrunkRepository
from .trunks import Clock, utcnow

NO_TRUNK = "trunk_id: no such trunk"
NO_AGENT = "agent_id: no such agent"
WRONG_EXTENSION = ("extension must be the extension the trunk registers as ({extension}): "
                   "calls to the number reach the AI through it")


def new_number_id() -> str:
    return f"num_{uuid.uuid4().hex[:20]}"


def bind_pbx_extension(cmd: BindPbxExtension, *, trunks: TrunkRepository,
                       agents: AgentRepository, numbers: PhoneNumberRepository,
                       quotas: Quotas = DEFAULT_QUOTAS, clock: Clock = utcnow) -> NumberRouting:
    """Bind `cmd.did` (already E.164) to the trunk's AI extension and the agent; Conflict if the
    DID is bound already, by this tenant or any other; QuotaExceeded if the tenant has as many
    numbers as its quota allows."""
    try:
        trunk = trunks.get(cmd.tenant_id, cmd.trunk_id)
    except NotFound:
        raise InvalidInput(NO_TRUNK, field="trunk_id") from None
    # Every trunk registers on the PBX as an extension today (GET /v1/trunks?mode=register);
    # a trunk of another mode would be refused here.
    if cmd.extension != trunk.account.extension:
        raise InvalidInput(WRONG_EXTENSION.format(extension=trunk.account.extension),
                           field="extension")
    try:
        agent = agents.get(cmd.tenant_id, cmd.agent_id)
    except NotFound:
        raise InvalidInput(NO_AGENT, field="agent_id") from None
    quotas.check_phone_numbers(len(numbers.list(cmd.tenant_id)))
    number = PhoneNumber(
        number_id=new_number_id(), tenant_id=cmd.tenant_id, e164=cmd.did,
        national_number=national_significant(cmd.did), label=cmd.label,
        trunk_id=trunk.trunk_id, extension=trunk.account.extension, agent_id=agent.agent_id,
        created_at=clock(),
    )
    numbers.add(number)
    return NumberRouting(number, trunk, agent)


def list_numbers(tenant_id: str, *, numbers: PhoneNumberRepository, trunks: TrunkRepository,
                 agents: AgentRepository) -> list[NumberRouting]:
    """Every number of the tenant, oldest first, with its trunk and agent (three queries,
    however many numbers)."""
    by_trunk = {t.trunk_id: t for t in trunks.list(tenant_id)}
    by_agent = {a.agent_id: a for a in agents.list(tenant_id)}
    ordered = sorted(numbers.list(tenant_id), key=lambda n: (n.created_at, n.number_id))
    return [NumberRouting(n, by_trunk.get(n.trunk_id), by_agent.get(n.agent_id)) for n in ordered]


def get_number(tenant_id: str, number_id: str, *, numbers: PhoneNumberRepository,
               trunks: TrunkRepository, agents: AgentRepository) -> NumberRouting:
    number = numbers.get(tenant_id, number_id)
    trunk, agent = trunks.find(number.trunk_id), agents.find(number.agent_id)
    return NumberRouting(number,
                         trunk if trunk and trunk.tenant_id == tenant_id else None,
                         agent if agent and agent.tenant_id == tenant_id else None)


def unbind_number(cmd: UnbindNumber, *, numbers: PhoneNumberRepository) -> None:
    """Remove the binding and free the DID; calls to it reach the trunk's own agent again."""
    numbers.remove(numbers.get(cmd.tenant_id, cmd.number_id))
