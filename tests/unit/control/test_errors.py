"""Exceptions become `{"error": {code, message, field}}` answers that never echo the input."""

from __future__ import annotations

import json

import pytest
from chalicelib import errors
from chalicelib.auth import AuthenticationFailed, ConfigurationError
from pydantic import ValidationError

from smartalex.domain.commands import CreateTrunk
from smartalex.domain.errors import Conflict, DomainError, InvalidInput, NotFound

SECRET = "Hunter2-should-never-show"


def validation_error(**fields) -> ValidationError:
    body = {"tenant_id": "t", "pbx_type": "asterisk", "domain": "pbx.example.com",
            "extension": "1000", "password": SECRET, **fields}
    with pytest.raises(ValidationError) as caught:
        CreateTrunk(**body)
    return caught.value


def body(response):
    return json.loads(json.dumps(response.body))["error"]


def test_value_errors_lose_pydantics_prefix_and_name_the_field():
    message, field = errors.describe(validation_error(domain="https://pbx.example.com"))

    assert field == "domain"
    assert message == ("domain must be a host name or IP address without a scheme, "
                       "e.g. pbx.example.com")


@pytest.mark.parametrize("fields, expected", [
    ({"port": "5060"}, "port must be a valid integer"),
    ({"port": 70000}, "port must be less than or equal to 65535"),
    ({"transport": "sctp"}, "transport must be 'udp', 'tcp' or 'tls'"),
    ({"surprise": 1}, "surprise is not a known field"),
    ({"domain": None}, "domain must be a valid string"),
])
def test_pydantic_messages_are_reworded_for_admins(fields, expected):
    assert errors.describe(validation_error(**fields))[0] == expected


@pytest.mark.parametrize("password", [SECRET * 10, SECRET + "\n", 12345])
def test_password_errors_never_contain_the_password(password):
    response = errors.to_response(validation_error(password=password))

    assert response.status_code == 400
    assert body(response)["field"] == "password"
    assert SECRET not in json.dumps(response.body)
    assert "12345" not in json.dumps(response.body)


@pytest.mark.parametrize("exc, status, code, field", [
    (InvalidInput("domain cannot be null", field="domain"), 400, "invalid_input", "domain"),
    (NotFound("No trunk trk_1."), 404, "not_found", None),
    (Conflict("A trunk for extension 1000 on pbx already exists."), 409, "conflict", None),
    (DomainError("Not allowed."), 400, "rejected", None),
    (AuthenticationFailed("The token has expired."), 401, "unauthorized", None),
])
def test_known_errors_map_to_their_status_and_code(exc, status, code, field):
    response = errors.to_response(exc)

    assert response.status_code == status
    assert body(response) == {"code": code, "message": str(exc), "field": field}


def test_401_answers_ask_for_a_bearer_token():
    response = errors.to_response(AuthenticationFailed("Missing Authorization header."))

    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_configuration_errors_are_500_and_say_what_is_missing():
    response = errors.to_response(ConfigurationError("SMARTALEX_JWKS_URL must be set."))

    assert response.status_code == 500
    assert body(response)["code"] == "misconfigured"
    assert "SMARTALEX_JWKS_URL" in body(response)["message"]


def test_unexpected_errors_are_500_with_a_generic_message():
    response = errors.to_response(KeyError(SECRET))

    assert response.status_code == 500
    assert body(response) == {"code": "internal", "message": errors.INTERNAL, "field": None}


def test_the_decorator_answers_instead_of_raising_and_keeps_the_views_signature():
    import inspect

    @errors.api_errors
    def view(trunk_id: str):
        raise NotFound(f"No trunk {trunk_id}.")

    assert view("trk_1").status_code == 404
    assert list(inspect.signature(view).parameters) == ["trunk_id"]
