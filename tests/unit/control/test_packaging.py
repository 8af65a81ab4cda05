"""The Chalice project files: a config chalice can load, and Lambda-only requirements."""

from __future__ import annotations

from pathlib import Path

from chalice.cli.factory import CLIFactory

CONTROL = Path(__file__).resolve().parents[3] / "control"
AUTH_SETTINGS = {"SMARTALEX_AUTH_MODE", "SMARTALEX_JWKS_URL", "SMARTALEX_JWT_ISSUER",
                 "SMARTALEX_JWT_AUDIENCE", "SMARTALEX_TENANT_CLAIM"}


def stage_environment(stage):
    config = CLIFactory(str(CONTROL)).create_config_obj(chalice_stage_name=stage)
    assert config.app_name == "smartalex-control"
    return config.environment_variables


def test_the_dev_stage_overrides_no_smartalex_setting():
    # `chalice local` (and `make run`) use the dev stage, and chalice lets the config's
    # variables override the shell's: setting SMARTALEX_* here would break the local stack.
    env = stage_environment("dev")

    assert env["POWERTOOLS_SERVICE_NAME"] == "control"
    assert not [name for name in env if name.startswith("SMARTALEX_")]


def test_the_prod_stage_names_every_deployment_setting():
    env = stage_environment("prod")

    assert AUTH_SETTINGS | {"SMARTALEX_STAGE"} <= set(env)
    assert env["SMARTALEX_AUTH_MODE"] == "cognito"


def test_the_lambda_requirements_leave_out_what_the_runtime_and_packager_provide():
    text = (CONTROL / "requirements.txt").read_text()
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    names = {line.split("[")[0].split(">")[0].split("=")[0].lower() for line in lines if line}

    assert names == {"pynamodb", "aws-lambda-powertools", "pydantic", "rapidfuzz", "pyjwt"}
