"""PBX presets (smartalex/domain/pbx_types.py): every type has one, its defaults apply to a new
trunk, and failure messages speak the PBX's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartalex.domain.commands import CreateTrunk
from smartalex.domain.pbx_types import PRESETS, preset
from smartalex.domain.registration import AUTH_MESSAGE, Problem, Target, explain
from smartalex.domain.trunk import PbxType

DOCS = Path(__file__).resolve().parents[3] / "docs" / "pbx"
TARGET = Target("pbx.example.com", 5060, "udp", "1000")


def new_trunk(**fields):
    return CreateTrunk(tenant_id="acme", domain="pbx.example.com", extension="1000",
                       password="pw", **fields)


@pytest.mark.parametrize("pbx_type", list(PbxType))
def test_every_type_has_a_preset_and_a_guide(pbx_type):
    p = preset(pbx_type)
    assert p.type is pbx_type and p.name and p.credentials and p.transfers and p.quirks
    guide = DOCS / f"{pbx_type.value}.md"
    assert guide.exists() and p.guide == f"docs/pbx/{pbx_type.value}.md"
    assert f'`pbx_type: "{pbx_type.value}"`' in guide.read_text()


@pytest.mark.parametrize("pbx_type", list(PbxType))
def test_a_trunk_without_transport_or_port_takes_its_types_defaults(pbx_type):
    trunk = new_trunk(pbx_type=pbx_type)
    assert (trunk.transport, trunk.port) == (PRESETS[pbx_type].transport, PRESETS[pbx_type].port)


def test_another_transport_than_the_types_gets_its_own_well_known_port():
    assert new_trunk(pbx_type="3cx", transport="tls").port == 5061
    assert new_trunk(pbx_type="3cx", transport="tcp").port == 5060
    assert new_trunk(pbx_type="3cx", transport="tls", port=5062).port == 5062


def test_a_wrong_password_message_says_where_that_pbx_shows_the_credentials():
    message = explain(Problem.AUTH, 401, "Unauthorized", TARGET, preset("3cx").words)
    assert message.startswith(AUTH_MESSAGE)
    assert message.endswith("3CX shows them under Users → the user → IP Phone / "
                            "Authentication: the Authentication ID (a random string, not the "
                            "extension number) and its password.")
    # "Other SIP PBX" has nothing to add to the generic wording.
    assert explain(Problem.AUTH, 401, "Unauthorized", TARGET, preset("other").words) == \
        AUTH_MESSAGE


def test_a_403_message_names_what_blocks_outside_registration_on_that_pbx():
    message = explain(Problem.FORBIDDEN, 403, "Forbidden", TARGET, preset("3cx").words)
    assert "(3CX: the user's \"Disallow use of extension outside the LAN\" option" in message
    generic = explain(Problem.FORBIDDEN, 403, "Forbidden", TARGET, preset("other").words)
    assert "register from outside its own network, or the extension is disabled" in generic


@pytest.mark.parametrize("pbx_type", list(PbxType))
def test_every_guide_says_how_the_answer_delay_fits_its_ring_groups_and_queues(pbx_type):
    guide = (DOCS / f"{pbx_type.value}.md").read_text()
    section = guide.split("## Ring groups and queues", 1)[1].split("\n## ", 1)[0]
    assert "answer delay" in section and "README.md#ring-groups" in section
    assert "## Ring groups, hunt groups and queues: the answer delay" in \
        (DOCS / "README.md").read_text()
