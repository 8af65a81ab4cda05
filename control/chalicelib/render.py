"""What the API answers, as pydantic models: they render responses and, through their JSON
schemas, document them in openapi.py, so the two cannot drift. A trunk's representation has
no password field at all, not even a masked one."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Annotated

from chalice import Response
from pydantic import BaseModel, PlainSerializer, WithJsonSchema

from smartalex.domain.assignment import FleetRoom
from smartalex.domain.edge_addresses import LOCAL_ADDRESSES, EdgeAddresses
from smartalex.domain.registration import RegistrationState, as_shown
from smartalex.domain.trunk import PbxType, Transport, Trunk


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, e.g. 2025-01-31T09:30:00.000Z."""
    utc = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[datetime, PlainSerializer(iso_utc, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"})]


class RegistrationView(BaseModel):
    state: RegistrationState
    label: str  # what the dashboard shows, e.g. "Registered as ext 1000"
    error: str | None
    # Registered, but something to look at (other devices registered as the extension too).
    warning: str | None
    sip_code: int | None
    since: Timestamp | None
    last_attempt_at: Timestamp | None
    expires_at: Timestamp | None


class EdgeAddressesView(BaseModel):
    """What the PBX's firewall must allow: where our edges register and send media from."""

    addresses: list[str]  # deployed: the edges' Elastic IP pool; locally 127.0.0.1
    rtp_port_first: int
    rtp_port_last: int

    @classmethod
    def of(cls, sources: EdgeAddresses) -> "EdgeAddressesView":
        return cls(addresses=list(sources.addresses), rtp_port_first=sources.rtp_first,
                   rtp_port_last=sources.rtp_last)


class AssignmentView(BaseModel):
    held: bool  # an edge holds an unexpired lease and is registering the trunk
    edge: str | None


class TrunkView(BaseModel):
    id: str
    pbx_type: PbxType
    domain: str
    extension: str
    username: str
    transport: Transport
    port: int
    # False: no port was given; the edge looks up SRV records first and uses `port` without any
    port_explicit: bool
    outbound_proxy: str | None  # every request goes through it (null: straight to `domain`)
    tls_verify: bool  # TLS only: whether the PBX's certificate must be trusted
    pbx_source_addresses: list[str]  # where else the PBX may call from (edge/inbound_policy.py)
    answer_delay_seconds: int  # rings this long before answering (ring groups, queues)
    label: str | None
    generation: int
    created_at: Timestamp
    updated_at: Timestamp
    registration: RegistrationView
    assignment: AssignmentView
    agent_id: str | None  # the agent answering its calls (PUT /v1/agents/{agent_id}/telephony)
    edge_addresses: EdgeAddressesView  # allow these on the PBX (SIP and RTP)

    @classmethod
    def of(cls, trunk: Trunk, now: float | None = None,
           sources: EdgeAddresses = EdgeAddresses(LOCAL_ADDRESSES),
           fleet: FleetRoom | None = None) -> "TrunkView":
        """The registration as it reads now (registration.as_shown): Registered only while an
        edge holds the trunk (Trunk.held_at) and the registration has not run out; `fleet`,
        the edges' room, says why an unheld one waits."""
        account = trunk.account
        now = time.time() if now is None else now
        lease = trunk.held_at(now)
        status = as_shown(trunk.registration, trunk.lease.expires_at if trunk.lease else None,
                          datetime.fromtimestamp(now, timezone.utc), fleet)
        return cls(
            id=trunk.trunk_id, pbx_type=trunk.pbx_type, domain=account.domain,
            extension=account.extension, username=account.username,
            transport=account.transport, port=account.port,
            port_explicit=account.explicit_port, outbound_proxy=account.outbound_proxy,
            tls_verify=account.tls_verify,
            pbx_source_addresses=list(account.pbx_source_addresses),
            answer_delay_seconds=trunk.answer_delay_seconds, label=trunk.label,
            generation=trunk.generation, created_at=trunk.created_at, updated_at=trunk.updated_at,
            registration=RegistrationView(
                state=status.state, label=status.label(account.extension), error=status.error,
                warning=status.warning, sip_code=status.sip_code, since=status.since,
                last_attempt_at=status.last_attempt_at, expires_at=status.expires_at,
            ),
            assignment=AssignmentView(held=lease is not None,
                                      edge=lease.owner if lease else None),
            agent_id=trunk.agent_id, edge_addresses=EdgeAddressesView.of(sources),
        )


class TrunkList(BaseModel):
    trunks: list[TrunkView]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorView(BaseModel):
    error: ErrorDetail


def trunk(trunk: Trunk, status: int = 200, sources: EdgeAddresses | None = None,
          fleet: FleetRoom | None = None) -> Response:
    view = TrunkView.of(trunk, sources=sources or EdgeAddresses(LOCAL_ADDRESSES), fleet=fleet)
    return Response(body=view.model_dump(mode="json"), status_code=status)


def trunks(items: list[Trunk], sources: EdgeAddresses | None = None,
           fleet: FleetRoom | None = None) -> Response:
    ordered = sorted(items, key=lambda t: (t.created_at, t.trunk_id))
    sources = sources or EdgeAddresses(LOCAL_ADDRESSES)
    body = TrunkList(trunks=[TrunkView.of(t, sources=sources, fleet=fleet) for t in ordered])
    return Response(body=body.model_dump(mode="json"), status_code=200)


def no_content() -> Response:
    return Response(body="", status_code=204)
