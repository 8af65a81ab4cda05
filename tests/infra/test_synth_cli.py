"""The gate: `infra/cdk/synth_all.sh` (the CDK CLI, every environment, cdk-nag and CDK's
CloudFormation validation on) exits 0 and writes every stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ENV_NAMES, use_pinned_node

REPO = Path(__file__).resolve().parents[2]
CONCERNS = {"Observability", "Data", "Messaging", "Secrets", "Console", "Api", "Functions",
            "Edge"}


def test_synth_all_passes_for_every_environment():
    use_pinned_node()
    result = subprocess.run(["infra/cdk/synth_all.sh"], cwd=REPO, capture_output=True, text=True,
                            env={**__import__("os").environ, "PYTHON": sys.executable},
                            timeout=540)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ENV_NAMES:
        manifest = json.loads((REPO / "cdk.out" / name / "manifest.json").read_text())
        stacks = {a for a, v in manifest["artifacts"].items()
                  if v["type"] == "aws:cloudformation:stack"}
        assert stacks == {f"SmartAlex-{name}-{c}" for c in CONCERNS}
