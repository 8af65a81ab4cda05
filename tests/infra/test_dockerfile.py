"""edge/Dockerfile agrees with pyproject.toml and the stack (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from infra.cdk.stacks.edge import EDGE_UID, HEALTH_COMMAND

REPO = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    text = (REPO / "edge" / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)  # line continuations
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def one(keyword: str) -> str:
    (value,) = [rest for k, rest in instructions() if k == keyword]
    return value


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, in order."""
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            result.append([])
        result[-1].append((keyword, rest))
    return result


def test_it_installs_exactly_the_edge_extra_with_our_pjsua2_build():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("pjsua2==") for d in extras["edge"])
    builder, runtime = stages()
    installs = [m.strip() for k, rest in runtime if k == "RUN"
                for m in re.findall(r"pip install ([^&;]+)", rest)]
    assert installs == ['--find-links /wheels ".[edge]"']
    assert ("COPY", "--from=pjsua2 /wheels/ /wheels/") in runtime


def test_the_pjsua2_stage_builds_the_wheel_as_make_does():
    builder, _ = stages()
    assert builder[0] == ("FROM", "python:3.11-slim-bookworm AS pjsua2")
    copies = [rest.split() for k, rest in builder if k == "COPY"]
    assert ["scripts/build_pjsua2.py", "scripts/"] in copies
    assert ["edge/sip/native/", "edge/sip/native/"] in copies
    assert any("python scripts/build_pjsua2.py" in rest for k, rest in builder if k == "RUN")
    assert "!scripts/build_pjsua2.py" in (REPO / ".dockerignore").read_text().split()


def test_it_runs_the_supervisor_as_pid_1_without_root():
    assert stages()[-1][0] == ("FROM", "python:3.11-slim-bookworm")
    assert json.loads(one("ENTRYPOINT")) == ["python", "-m", "edge"]  # exec form
    assert one("STOPSIGNAL") == "SIGTERM"
    assert one("USER") == str(EDGE_UID)
    assert f"--uid {EDGE_UID}" in " ".join(rest for k, rest in instructions() if k == "RUN")


def test_its_health_check_is_the_one_ecs_runs():
    check = one("HEALTHCHECK")
    assert json.loads(check[check.index("CMD") + 3:].strip()) == HEALTH_COMMAND[1:]


def test_it_copies_the_core_the_edge_and_the_receptionist_and_the_context_allows_them():
    copies = [rest.split() for k, rest in instructions() if k == "COPY"]
    assert ["smartalex/", "smartalex/"] in copies and ["edge/", "edge/"] in copies
    assert ["agents/", "agents/"] in copies
    ignore = (REPO / ".dockerignore").read_text().split()
    assert ignore[ignore.index("*") + 1:][:4] == ["!pyproject.toml", "!smartalex/", "!edge/",
                                                  "!agents/"]


def test_the_applications_run_from_their_copies_whatever_the_cwd():
    # The distribution carries only `smartalex` (pyproject.toml); `python -m edge`, its workers,
    # the health check and the receptionist import edge/ and agents/ from the tree copied into
    # WORKDIR (the copies: the test above).
    runtime = stages()[-1]
    (env_line,) = [rest for k, rest in runtime if k == "ENV"]
    (workdir,) = [rest for k, rest in runtime if k == "WORKDIR"]
    env = dict(pair.split("=", 1) for pair in env_line.split())
    assert env["PYTHONPATH"] == workdir == "/opt/smartalex"
