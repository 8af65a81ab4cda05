"""After the whole suite: no log it produced holds a secret (a pytest plugin, tests/conftest.py).

Every log file the suite's processes wrote (the edge and its workers, the API, the local stack,
the test PBX and phones; all under pytest's base temp folder) is searched for

- every SIP password and agent signing secret of the session: those stored through the secret
  store in the test process (`SecretsManagerStore`/`SecretsManagerAgentSecrets`, which the edge
  and office fixtures use), those still in the local AWS endpoint when it stops (what the API
  stored for the HTTP tests), and the demo PBX's generated passwords of the `make run` stacks
  the e2e tests start;
- `response="`, the digest answer of an Authorization header, and `Authorization: Digest`.

A finding fails the session (exit status 1) and is printed with the file and line. Values
shorter than 8 characters are not searched for ("secret", a test password, is also a word in
log lines); their digest answers still are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

MIN_SECRET_LENGTH = 8
LEAKS = re.compile(r'response\s*=\s*"[0-9a-f]|Authorization:\s*Digest', re.I)
_recorded: set[str] = set()


def _record(secret_string: str | None) -> None:
    if not secret_string:
        return
    try:
        values = json.loads(secret_string)
    except ValueError:
        values = {"raw": secret_string}
    for value in values.values() if isinstance(values, dict) else ():
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            _recorded.add(value)


def pytest_sessionstart(session) -> None:
    from smartalex.adapters import secrets

    put = secrets._SecretsManager._put

    def recording_put(self, owner_id: str, secret: str) -> None:
        _record(json.dumps({"value": secret}))
        put(self, owner_id, secret)

    secrets._SecretsManager._put = recording_put


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Before the session's AWS endpoint stops, read every secret it still holds."""
    yield
    if fixturedef.argname == "aws_endpoint":
        fixturedef.addfinalizer(_record_stored_secrets)


def _record_stored_secrets() -> None:
    from smartalex.adapters import aws

    client = aws.client("secretsmanager")
    for page in client.get_paginator("list_secrets").paginate():
        for entry in page["SecretList"]:
            try:
                _record(client.get_secret_value(SecretId=entry["ARN"])["SecretString"])
            except client.exceptions.ClientError:
                continue


def findings(root: Path, secrets: set[str]) -> list[str]:
    for users in root.rglob("demo-pbx-users.json"):  # the e2e tests' `make run` stacks
        try:
            secrets |= {p for p in json.loads(users.read_text()).values()
                        if isinstance(p, str) and len(p) >= MIN_SECRET_LENGTH}
        except (OSError, ValueError, AttributeError):
            pass
    found = []
    for log in sorted(root.rglob("*.log")):
        try:
            text = log.read_text(errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if LEAKS.search(line) or any(secret in line for secret in secrets):
                found.append(f"{log}:{number}: {line[:200]}")
    return found


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    root = factory.getbasetemp()
    leaks = findings(root, set(_recorded))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", f"log audit: {len(_recorded)} stored secrets, "
                                f"{sum(1 for _ in root.rglob('*.log'))} log files, "
                                f"{len(leaks)} findings")
        for leak in leaks[:50]:
            reporter.write_line(leak)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
