"""Synthesize every environment once per session, in-process (the CLI gate has its own test).

Needs the `infra` extra and Node (infra/cdk/node_modules, installed with `npm ci` if missing).
Offline once build/lambda-deps/ holds the Lambda dependencies (one pip run, first time).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CDK_DIR = REPO / "infra" / "cdk"
ENV_NAMES = ("dev", "staging", "prod")


def use_pinned_node() -> None:
    """Node 22 from infra/cdk's lock file for jsii (system Node 20 is past jsii's support)."""
    bin_dir = CDK_DIR / "node_modules" / ".bin"
    if not (bin_dir / "node").exists() or not (bin_dir / "cdk").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=CDK_DIR, check=True, capture_output=True)
    if str(bin_dir) not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice package needs one


@dataclass
class Synthesized:
    """One environment: its settings, stack objects, templates (by concern) and outdir."""

    name: str
    app: Any  # infra.cdk.app.SmartAlex
    templates: dict[str, Any]  # concern ("Api", "Edge", ...) -> aws_cdk.assertions.Template
    outdir: Path

    @property
    def settings(self):
        return self.app.settings

    def json(self, concern: str) -> dict:
        return self.templates[concern].to_json()

    def resources(self, concern: str | None = None, type_: str | None = None) -> dict[str, dict]:
        concerns = [concern] if concern else list(self.templates)
        found = {}
        for c in concerns:
            for logical_id, resource in self.json(c).get("Resources", {}).items():
                if type_ is None or resource["Type"] == type_:
                    found[f"{c}/{logical_id}"] = resource
        return found

    def logical_id(self, construct) -> str:
        """Logical id of an L2 construct's (or CfnElement's) resource in its stack."""
        from aws_cdk import CfnElement, Stack

        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        return Stack.of(element).get_logical_id(element)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synthesized]:
    use_pinned_node()
    from aws_cdk.assertions import Template

    from infra.cdk import nag
    from infra.cdk.app import build, new_app
    from infra.cdk.environments import ENVIRONMENTS

    result = {}
    for name in ENV_NAMES:
        outdir = tmp_path_factory.mktemp(f"cdk-{name}")
        # The built-in CloudFormation schema check costs ~8 s a synth; the CLI gate runs it.
        app = new_app(outdir=str(outdir), builtin_cloud_formation_validation=False)
        nag.enable(app)
        stacks = build(app, ENVIRONMENTS[name])
        app.synth()  # raises RuntimeError(ValidationFailed) on any unacknowledged cdk-nag finding
        templates = {stack.stack_name.rsplit("-", 1)[1]: Template.from_stack(stack)
                     for stack in stacks.stacks}
        result[name] = Synthesized(name, stacks, templates, outdir)
    return result


@pytest.fixture(params=ENV_NAMES)
def env(request, synthesized) -> Synthesized:
    return synthesized[request.param]
