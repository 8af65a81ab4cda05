"""The Chalice project files: a config chalice can load, and Lambda-only requirements."""

from __future__ import annotations

import re
import tomllib

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


def _names(requirements) -> set[str]:
    lines = [line.split("#")[0].strip() for line in requirements]
    return {re.split(r"[\[<>=~ ]", line, maxsplit=1)[0].lower() for line in lines if line}


def test_the_lambda_requirements_are_the_cores_and_the_control_extras_less_what_aws_provides():
    project = tomllib.loads((CONTROL.parent / "pyproject.toml").read_text())["project"]
    declared = _names(project["dependencies"] + project["optional-dependencies"]["control"])
    text = (CONTROL / "requirements.txt").read_text()

    # chalice is the packager, not a runtime dependency.
    assert _names(text.splitlines()) == declared - {"chalice"}
