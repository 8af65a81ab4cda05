"""The edge's capacity settings: defaults an operator can rely on, and a clear stop on nonsense
(edge/settings.py)."""

import pytest

from edge.settings import EdgeSettings


def test_the_default_edge_holds_a_thousand_registrations():
    settings = EdgeSettings(edge_id="e")
    assert settings.workers * settings.trunks_per_worker == 1000
    assert settings.registration_expires == 300 and settings.pbx_registers_per_second == 50.0
    assert (settings.keepalive_seconds, settings.bindings_check_seconds) == (20.0, 25.0)


def test_the_default_edge_takes_thirty_calls_on_one_extension_and_two_hundred_in_all():
    settings = EdgeSettings(edge_id="e")
    assert settings.calls_per_trunk == 30
    assert settings.workers * settings.calls_per_worker == 200


@pytest.mark.parametrize("name,value,message", [
    ("SMARTALEX_EDGE_TRUNKS_PER_WORKER", "0", "SMARTALEX_EDGE_TRUNKS_PER_WORKER must be at least 1"),
    ("SMARTALEX_EDGE_CALLS_PER_WORKER", "-1", "SMARTALEX_EDGE_CALLS_PER_WORKER must be at least 1"),
    ("SMARTALEX_EDGE_CALLS_PER_WORKER", "300", "at most 256 \\(pjsua's limit per process\\)"),
    ("SMARTALEX_EDGE_WORKERS", "many", "SMARTALEX_EDGE_WORKERS must be a whole number"),
    ("SMARTALEX_EDGE_REGISTRATION_EXPIRES", "60", "must be 120 to 3600 seconds, got 60"),
    ("SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND", "0", "must be above 0"),
    ("SMARTALEX_EDGE_KEEPALIVE_SECONDS", "0", "KEEPALIVE_SECONDS must be 1 to 300 seconds"),
    ("SMARTALEX_EDGE_BINDINGS_CHECK_SECONDS", "7200", "must be 1 to 3600 seconds, got 7200"),
    ("SMARTALEX_EDGE_PBX_REGISTERS_PER_SECOND", "fast", "must be a number, got 'fast'"),
])
def test_a_setting_out_of_range_stops_the_edge_naming_it(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=message):
        EdgeSettings(edge_id="e")
