"""PBX presets: what the setup guide's "pick your PBX type" means (smartalex/domain/pbx_types.py).

The console fills the trunk form's defaults from it and shows where that PBX keeps the
extension's credentials and what to enable for transfers; a trunk created without transport or
port takes its type's defaults in any case.
"""

from __future__ import annotations

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from smartalex.domain.pbx_types import PRESETS, PbxPreset
from smartalex.domain.trunk import PbxType, Transport

from .. import auth
from ..errors import api_errors
from ..operations import Operation

bp = Blueprint(__name__)

PBX_TYPES = "/v1/pbx-types"


class PbxTypeView(BaseModel):
    type: PbxType = Field(description="The value of a trunk's pbx_type")
    name: str
    default_transport: Transport = Field(description="What a trunk of this type gets when "
                                                     "created without a transport")
    default_port: int = Field(description="What it gets without a port (with the default "
                                          "transport; another transport gets its own "
                                          "well-known port: 5060, or 5061 for TLS)")
    auth_id_differs: bool = Field(description="Whether the username (authentication ID) is "
                                              "usually another string than the extension")
    credentials: str = Field(description="Where this PBX's admin console shows the "
                                         "extension's SIP credentials")
    transfers: str = Field(description="What to enable so the AI's transfers (SIP REFER) work")
    outside_network: str | None = Field(description="What, on this PBX, stops an extension "
                                                    "registering from outside its network "
                                                    "(what a 403 usually means)")
    quirks: list[str] = Field(description="What the edge does for this PBX (always on)")
    guide: str = Field(description="The setup guide in the repository")

    @classmethod
    def of(cls, p: PbxPreset) -> "PbxTypeView":
        return cls(type=p.type, name=p.name, default_transport=p.transport,
                   default_port=p.port, auth_id_differs=p.auth_id_differs,
                   credentials=p.credentials, transfers=p.transfers,
                   outside_network=p.outside_network, quirks=list(p.quirks), guide=p.guide)


class PbxTypeList(BaseModel):
    pbx_types: list[PbxTypeView]


OPERATIONS = (
    Operation("GET", PBX_TYPES, "The PBX types a trunk may have, with their defaults, where each "
              "keeps an extension's credentials and what to enable for transfers", 200,
              PbxTypeList),
)


@bp.route(PBX_TYPES, methods=["GET"])
@api_errors
def list_pbx_types() -> Response:
    auth.current_tenant(bp)  # signed-in callers only, like every route but the document
    body = PbxTypeList(pbx_types=[PbxTypeView.of(p) for p in PRESETS.values()])
    return Response(body=body.model_dump(mode="json"), status_code=200)
