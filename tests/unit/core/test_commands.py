"""Trunk commands: defaults, field rules, and that a password never shows up in an error."""

import pytest
from pydantic import SecretStr, ValidationError

from smartalex.domain.commands import CreateTrunk, UpdateTrunk
from smartalex.domain.errors import InvalidInput
from smartalex.domain.trunk import PbxType, Transport

# Distinctive enough that finding it anywhere means it leaked.
PASSWORD = "Zebra-Quartz-9917-Kiwi"


def create(**fields) -> CreateTrunk:
    values = dict(tenant_id="tenant-a", pbx_type="asterisk", domain="pbx.example.com",
                  extension="1000", password=PASSWORD)
    values.update(fields)
    return CreateTrunk(**values)


def update(**fields) -> UpdateTrunk:
    return UpdateTrunk(tenant_id="tenant-a", trunk_id="trk_1", **fields)


def leaked(exc: ValidationError, secret: str) -> list[str]:
    """Every rendering of a validation error that contains `secret`."""
    renderings = {"str": str(exc), "repr": repr(exc), "errors": repr(exc.errors()),
                  "json": exc.json()}
    return [name for name, text in renderings.items() if secret in text]


# --- CreateTrunk defaults ---

def test_the_username_defaults_to_the_extension():
    assert create().username == "1000"


def test_an_explicit_username_is_kept():
    assert create(username="auth-7f3a").username == "auth-7f3a"


def test_the_port_defaults_to_5060_for_udp_and_tcp():
    assert create().transport is Transport.UDP
    assert create().port == 5060
    assert create(transport="tcp").port == 5060


def test_the_port_defaults_to_5061_for_tls():
    assert create(transport="tls").port == 5061


def test_an_explicit_port_is_kept_whatever_the_transport():
    assert create(transport="tls", port=5062).port == 5062
    assert create(port=5080).port == 5080


def test_a_valid_create_normalises_its_fields():
    cmd = create(domain=" PBX.Example.com. ", extension=" 1000 ", pbx_type="3cx", label="  ")
    assert (cmd.domain, cmd.extension, cmd.pbx_type, cmd.label) == \
        ("pbx.example.com", "1000", PbxType.THREECX, None)
    assert cmd.password.get_secret_value() == PASSWORD


# --- field rules ---

@pytest.mark.parametrize("field, value", [
    ("domain", "sip:pbx.example.com"),
    ("domain", "pbx.example.com:5060"),
    ("extension", "10 00"),
    ("extension", "9" * 33),
    ("username", "a@b"),
    ("pbx_type", "avaya"),
    ("transport", "wss"),
    ("port", 0),
    ("port", 65536),
    ("label", "x" * 65),
])
def test_an_invalid_field_is_rejected_and_named(field, value):
    with pytest.raises(ValidationError) as caught:
        create(**{field: value})
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize("port", ["5060", True, 5060.0])
def test_the_port_must_be_a_real_integer(port):
    with pytest.raises(ValidationError):
        create(port=port)


@pytest.mark.parametrize("port", ["5060", True])
def test_the_port_must_be_a_real_integer_in_an_update_too(port):
    with pytest.raises(ValidationError):
        update(port=port)


def test_a_port_in_json_must_be_a_number_not_a_string():
    body = ('{"tenant_id": "t", "pbx_type": "asterisk", "domain": "pbx.example.com", '
            '"extension": "1000", "password": "pw", "port": "5060"}')
    with pytest.raises(ValidationError):
        CreateTrunk.model_validate_json(body)


def test_an_unknown_field_is_rejected():
    with pytest.raises(ValidationError) as caught:
        create(stun_server="stun.example.com")
    assert caught.value.errors()[0]["type"] == "extra_forbidden"
    with pytest.raises(ValidationError):
        update(stun_server="stun.example.com")


@pytest.mark.parametrize("password, says", [
    ("", "required"),
    ("p" * 129, "at most 128"),
    ("secret\n", "control characters"),
    ("sec\rret", "control characters"),
    ("sec\tret", "control characters"),
    ("sec\x00ret", "control characters"),
    ("sec\x7fret", "control characters"),
])
def test_a_bad_password_is_rejected(password, says):
    with pytest.raises(ValidationError, match=says):
        create(password=password)


def test_a_password_may_be_128_characters_of_anything_printable():
    password = ("Pä$$ w0rd!\"'<>{}" * 10)[:128]
    assert create(password=password).password.get_secret_value() == password


@pytest.mark.parametrize("password", ["secret\x85", "sec\u2028ret"], ids=["NEL", "LSEP"])
def test_a_password_with_a_unicode_line_break_is_rejected(password):
    # NEL (U+0085, a C1 control) and LINE SEPARATOR are line breaks too (str.splitlines).
    with pytest.raises(ValidationError, match="control characters"):
        create(password=password)


# --- a password never leaks ---

def test_the_repr_of_a_command_hides_the_password():
    assert PASSWORD not in repr(create())
    assert PASSWORD not in str(create())
    assert PASSWORD not in create().model_dump_json()
    assert PASSWORD not in repr(update(password=PASSWORD))


@pytest.mark.parametrize("password", [
    PASSWORD + "\n",
    PASSWORD * 6,  # too long
    "\x07" + PASSWORD,
], ids=["line break", "too long", "control character"])
def test_a_rejected_password_is_never_echoed_in_the_error(password):
    with pytest.raises(ValidationError) as caught:
        create(password=password)
    assert leaked(caught.value, PASSWORD) == []


@pytest.mark.parametrize("bad", [
    {"domain": "sip:pbx.example.com"},
    {"port": "5060"},
    {"extension": None},
    {"surprise": "field"},
])
def test_an_error_in_another_field_never_echoes_the_password(bad):
    with pytest.raises(ValidationError) as caught:
        create(**bad)
    assert leaked(caught.value, PASSWORD) == []


def test_a_missing_field_never_echoes_the_password():
    # pydantic reports a missing field with the whole input object as its "input".
    with pytest.raises(ValidationError) as caught:
        CreateTrunk(tenant_id="tenant-a", pbx_type="asterisk", domain="pbx.example.com",
                    password=PASSWORD)
    assert leaked(caught.value, PASSWORD) == []


def test_a_rejected_password_in_an_update_is_never_echoed():
    with pytest.raises(ValidationError) as caught:
        update(password=PASSWORD + "\r\n")
    assert leaked(caught.value, PASSWORD) == []


# --- UpdateTrunk ---

@pytest.mark.parametrize("field", ["pbx_type", "domain", "extension", "username", "password",
                                   "transport", "port"])
def test_an_update_rejects_null_for_a_field_other_than_the_label(field):
    with pytest.raises(InvalidInput) as caught:
        update(**{field: None})
    assert caught.value.field == field
    assert field in str(caught.value)


def test_an_update_may_clear_the_label_with_null():
    cmd = update(label=None)
    assert cmd.changes() == {"label": None}


def test_an_update_changes_only_the_fields_sent():
    assert update().changes() == {}
    assert update(port=5080).changes() == {"port": 5080}
    changes = update(domain="PBX.example.com", password=PASSWORD).changes()
    assert set(changes) == {"domain", "password"}
    assert changes["domain"] == "pbx.example.com"
    assert isinstance(changes["password"], SecretStr)
    assert changes["password"].get_secret_value() == PASSWORD


def test_an_update_does_not_fill_in_defaults():
    cmd = update(transport="tls")
    assert cmd.port is None
    assert cmd.changes() == {"transport": Transport.TLS}


def test_an_update_validates_the_fields_it_is_sent():
    with pytest.raises(ValidationError):
        update(domain="https://pbx.example.com")
    with pytest.raises(ValidationError):
        update(password="")
