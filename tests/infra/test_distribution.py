"""The distribution an integrator installs (`pip install "smartalex-native-extension[pipecat]"`)
carries the `smartalex` library and no application: top-level `agents`, `edge`, `functions` or
`devstack` packages would overwrite other distributions' packages of the same name in the
integrator's environment (openai-agents installs `agents`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APPLICATIONS = ("agents", "control", "devstack", "edge", "functions")


def build_wheel(tmp_path: Path) -> Path:
    """The wheel pip builds from a copy of the tree (a build in place would write build/ and
    *.egg-info into the checkout)."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info")
    source.mkdir()
    shutil.copy2(REPO / "pyproject.toml", source)
    for package in ("smartalex", *APPLICATIONS):
        shutil.copytree(REPO / package, source / package, ignore=ignore)
    out = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    (wheel,) = out.glob("smartalex_native_extension-*.whl")
    return wheel


def test_the_wheel_carries_the_library_and_no_application(tmp_path):
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = wheel.namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"smartalex"}
    # What an integrator imports is in it.
    for module in ("smartalex/pipecat/__init__.py", "smartalex/domain/agent_protocol.py"):
        assert module in names
