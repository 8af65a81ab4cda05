"""The control API's deployment package carries the domain core and its dependencies, built for
Lambda: `chalice package` on the staged app, unzipped, imported by an interpreter that sees
nothing but the package."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import shutil
import zipfile
from pathlib import Path

import pytest

from infra.cdk.vendor_core import stage_control_app

from .wheels import incompatible_with_lambda


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    staged = stage_control_app()
    out = tmp_path_factory.mktemp("chalice-package")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())"]
    subprocess.run([*chalice, "package", str(out / "sam")], cwd=staged,
                   env=env, check=True, capture_output=True, text=True)
    unzipped = out / "deployment"
    with zipfile.ZipFile(out / "sam" / "deployment.zip") as archive:
        archive.extractall(unzipped)
    return unzipped


def lambda_runtime_dir(tmp_path) -> Path:
    """What Lambda's python3.11 runtime adds after the package (/var/runtime): boto3 and its
    s3transfer (copied from this environment; botocore comes with the package via pynamodb)."""
    import boto3
    import s3transfer

    runtime = tmp_path / "var-runtime"
    for module in (boto3, s3transfer):
        source = Path(module.__file__).parent
        shutil.copytree(source, runtime / source.name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return runtime


def test_the_package_imports_the_app_and_the_core_on_its_own(package, tmp_path):
    # A fresh virtualenv has no site-packages of ours: only the stdlib and PYTHONPATH
    # (the package, then what the Lambda runtime provides).
    venv.EnvBuilder(with_pip=False).create(tmp_path / "venv")
    runtime = lambda_runtime_dir(tmp_path)
    probe = (
        "import app, smartalex, pydantic, rapidfuzz.process\n"
        "import smartalex.service_layer.trunks, smartalex.adapters.dynamodb.trunks\n"
        "root = sys.argv[1]\n"
        "for m in (app, smartalex, pydantic, rapidfuzz):\n"
        "    assert m.__file__.startswith(root), (m.__name__, m.__file__)\n"
        "print(app.app.app_name)\n"
    )
    result = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "python"), "-s", "-c", "import sys\n" + probe,
         str(package)],
        env={"PYTHONPATH": f"{package}{os.pathsep}{runtime}", "PATH": "/usr/bin:/bin",
             "AWS_DEFAULT_REGION": "us-east-1", "SMARTALEX_STAGE": "test"},
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "smartalex-control"


def test_the_package_does_not_mix_its_botocore_with_the_runtimes_boto3(package):
    """pynamodb pulls botocore into the package, which then shadows the runtime's botocore
    while boto3 would still come from the runtime: a version skew AWS warns against. Ship
    boto3 too (add it to control/requirements.txt), or neither."""
    has = {name: any(package.glob(f"{name}-*.dist-info")) for name in ("boto3", "botocore")}
    assert has["boto3"] == has["botocore"], has


def test_the_package_has_no_binaries_lambda_cannot_load(package):
    assert incompatible_with_lambda(package) == []
