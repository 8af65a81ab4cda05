"""Lambda code assets bundled without Docker (CDK local bundling, implemented in Python).

The asset is: the runtime dependencies installed for the Lambda platform (manylinux x86_64,
CPython 3.11, binary wheels only, so pydantic-core/rapidfuzz/cryptography match Lambda, not
this machine) plus copies of our packages. Installing wheels for a declared platform gives the
same result as `pip install` inside the SAM build image, without needing a Docker engine.

Dependencies are installed once per requirement set into build/lambda-deps/<hash>/ and
hard-linked (or copied) into each bundle, so synthesizing every environment costs one pip run.
The asset hash covers the requirement set and every file of our packages: any change to
smartalex/ or functions/ gives a new asset, and an unchanged tree is not rebundled.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Sequence

import jsii
from aws_cdk import ILocalBundling

REPO = Path(__file__).resolve().parents[2]
DEPS_CACHE = REPO / "build" / "lambda-deps"
PYTHON_VERSION = "3.11"
PLATFORM_ARGS = ("--platform", "manylinux2014_x86_64", "--implementation", "cp",
                 "--python-version", PYTHON_VERSION, "--only-binary=:all:")
# Runtime deps the handlers do not import: chalice is the API's framework only.
NOT_FOR_FUNCTIONS = frozenset({"chalice"})
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def _requirement_name(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()


def function_requirements(pyproject: Path = REPO / "pyproject.toml") -> tuple[str, ...]:
    """The core's dependencies plus the `control` extra (what the Lambdas import), sorted."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"]["control"])
    return tuple(sorted(r for r in requirements if _requirement_name(r) not in NOT_FOR_FUNCTIONS))


def requirements_file(path: Path) -> tuple[str, ...]:
    """The requirement lines of a requirements.txt (no comments, no options)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return tuple(sorted(line for line in lines if line and not line.startswith("-")))


def requirements_hash(requirements: Sequence[str]) -> str:
    text = "\n".join((*PLATFORM_ARGS, *sorted(requirements)))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def install_requirements(requirements: Sequence[str]) -> Path:
    """`requirements` installed for the Lambda platform, once per set (build/lambda-deps/)."""
    target = DEPS_CACHE / requirements_hash(requirements)
    if target.is_dir():
        return target
    DEPS_CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=DEPS_CACHE))
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--target", str(staging), *PLATFORM_ARGS, *requirements]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError("Lambda dependencies could not be installed for manylinux "
                           f"x86_64/py{PYTHON_VERSION}:\n{result.stderr[-4000:]}")
    try:
        staging.rename(target)
    except OSError:  # a concurrent synth won the race: use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target


def link_or_copy_tree(source: Path, target: Path) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another filesystem
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, dirs_exist_ok=True)


@jsii.implements(ILocalBundling)
class PythonFunctionBundler:
    """`packages`: top-level directories of this repo to ship next to the dependencies."""

    def __init__(self, packages: Sequence[str], requirements: Sequence[str] | None = None):
        self.packages = tuple(packages)
        self.requirements = tuple(requirements or function_requirements())

    def asset_hash(self) -> str:
        digest = hashlib.sha256(requirements_hash(self.requirements).encode())
        for package in self.packages:
            for path in sorted((REPO / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    digest.update(str(path.relative_to(REPO)).encode() + b"\0")
                    digest.update(path.read_bytes())
        return digest.hexdigest()

    def dependencies(self) -> Path:
        return install_requirements(self.requirements)

    def try_bundle(self, output_dir: str, *, image, **_options) -> bool:
        out = Path(output_dir)
        link_or_copy_tree(self.dependencies(), out)
        for package in self.packages:
            shutil.copytree(REPO / package, out / package, ignore=_IGNORE, dirs_exist_ok=True)
        return True
