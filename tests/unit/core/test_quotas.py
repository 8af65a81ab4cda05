"""Per-tenant quotas: their settings, and each create refusing the one too many (409
quota_exceeded, saying the limit and what to do) without storing anything."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from smartalex.domain.agent_commands import CreateAgent
from smartalex.domain.commands import CreateTrunk
from smartalex.domain.directory import DirectoryEntry
from smartalex.domain.directory_commands import CreateDirectoryEntry, ReplaceDirectoryEntry
from smartalex.domain.errors import Conflict, QuotaExceeded
from smartalex.domain.number_commands import BindPbxExtension
from smartalex.domain.quotas import DEFAULT_QUOTAS, Quotas
from smartalex.service_layer.agents import create_agent
from smartalex.service_layer.directory import add_entry, replace_entry
from smartalex.service_layer.numbers import bind_pbx_extension
from smartalex.service_layer.trunks import create_trunk

from ..directory.fakes import FakeDirectoryRepository
from .fakes import (
    FakeAgentRepository,
    FakePhoneNumberRepository,
    FakeSecretStore,
    FakeTrunkRepository,
    a_trunk,
    an_agent,
)

TENANT = "tenant-a"


def test_the_defaults_fit_an_office_and_the_directory_default_is_the_matchers_size():
    assert DEFAULT_QUOTAS == Quotas(trunks=20, agents=20, phone_numbers=100,
                                    directory_entries=1000)


def test_settings_override_some_quotas_and_round_trip():
    quotas = Quotas.from_settings({"trunks": "3", "directory_entries": "50"})

    assert quotas == Quotas(trunks=3, agents=20, phone_numbers=100, directory_entries=50)
    assert Quotas.from_settings(quotas.as_settings()) == quotas


@pytest.mark.parametrize("settings, message", [
    ({"trunks": "many"}, "quota trunks must be a whole number"),
    ({"agents": "0"}, "quota agents must be a whole number of at least 1"),
    ({"phone_numbers": "-5"}, "at least 1"),
])
def test_a_bad_setting_is_named(settings, message):
    with pytest.raises(ValueError, match=message):
        Quotas.from_settings(settings)


def test_an_unknown_setting_is_refused():
    with pytest.raises(TypeError):
        Quotas.from_settings({"trunk": "3"})


def trunk_command(extension: str) -> CreateTrunk:
    return CreateTrunk(tenant_id=TENANT, pbx_type="asterisk", domain="pbx.example.com",
                       extension=extension, password=SecretStr("pw"))


def test_a_trunk_beyond_the_quota_is_refused_before_its_password_is_stored():
    trunks, secrets = FakeTrunkRepository(), FakeSecretStore()
    quotas = Quotas(trunks=2)
    for ext in ("100", "101"):
        create_trunk(trunk_command(ext), trunks=trunks, secrets=secrets, quotas=quotas)
    trunks.add(a_trunk("trk_other", "tenant-b"))  # another tenant's count is its own

    with pytest.raises(QuotaExceeded) as refused:
        create_trunk(trunk_command("102"), trunks=trunks, secrets=secrets, quotas=quotas)

    assert str(refused.value).startswith("This account already has 2 trunks, the most it may "
                                         "have (2). Delete one")
    assert "raise the limit" in str(refused.value)
    assert isinstance(refused.value, Conflict)  # the API answers 409
    assert len(trunks.list(TENANT)) == 2 and len(secrets.passwords) == 2


def test_an_agent_beyond_the_quota_is_refused():
    agents = FakeAgentRepository(FakeTrunkRepository())
    cmd = CreateAgent(tenant_id=TENANT, name="Front desk", kind="receptionist")
    create_agent(cmd, agents=agents, quotas=Quotas(agents=1))

    with pytest.raises(QuotaExceeded, match=r"already has 1 agents, the most it may have \(1\)"):
        create_agent(cmd, agents=agents, quotas=Quotas(agents=1))
    assert len(agents.list(TENANT)) == 1


def test_a_number_beyond_the_quota_is_refused():
    trunks = FakeTrunkRepository()
    trunks.add(a_trunk(tenant_id=TENANT))
    agents = FakeAgentRepository(trunks)
    agents.add(an_agent(tenant_id=TENANT))
    numbers = FakePhoneNumberRepository(trunks)

    def bind(did):
        cmd = BindPbxExtension(tenant_id=TENANT, trunk_id="trk_1", extension="1000",
                               agent_id="agt_1", did=did)
        return bind_pbx_extension(cmd, trunks=trunks, agents=agents, numbers=numbers,
                                  quotas=Quotas(phone_numbers=1))

    bind("+353871234567")
    with pytest.raises(QuotaExceeded, match="1 phone numbers bound, the most it may have"):
        bind("+353871234568")
    assert len(numbers.list(TENANT)) == 1


def test_a_directory_at_its_quota_refuses_new_extensions_but_takes_replacements():
    trunks = FakeTrunkRepository()
    trunks.add(a_trunk(tenant_id=TENANT))
    directory = FakeDirectoryRepository(trunks)
    quotas = Quotas(directory_entries=2)
    for ext in ("100", "101"):
        add_entry(CreateDirectoryEntry(tenant_id=TENANT, trunk_id="trk_1", extension=ext,
                                       display_name=f"Person {ext}"),
                  trunks=trunks, directory=directory, quotas=quotas)

    with pytest.raises(QuotaExceeded, match=r"already has 2 entries, the most it may hold \(2\)"):
        add_entry(CreateDirectoryEntry(tenant_id=TENANT, trunk_id="trk_1", extension="102",
                                       display_name="Third"),
                  trunks=trunks, directory=directory, quotas=quotas)
    with pytest.raises(QuotaExceeded):
        replace_entry(ReplaceDirectoryEntry(tenant_id=TENANT, trunk_id="trk_1", extension="102",
                                            display_name="Third"),
                      trunks=trunks, directory=directory, quotas=quotas)
    replace_entry(ReplaceDirectoryEntry(tenant_id=TENANT, trunk_id="trk_1", extension="101",
                                        display_name="Renamed"),
                  trunks=trunks, directory=directory, quotas=quotas)
    assert directory.list("trk_1")[1] == DirectoryEntry("101", "Renamed")
