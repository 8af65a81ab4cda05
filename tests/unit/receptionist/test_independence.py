"""The receptionist is an agent like any other: it needs nothing of the edge's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_receptionist_imports_nothing_from_the_edge_nor_pjsua2():
    """Every module of the package, imported in a clean interpreter."""
    modules = sorted(p.stem for p in (ROOT / "agents" / "receptionist").glob("*.py")
                     if p.stem != "__main__")
    script = ("import importlib, sys\n"
              f"for name in {modules!r}:\n"
              "    importlib.import_module('agents.receptionist.' + name)\n"
              "print(sorted(m for m in sys.modules if m == 'edge' or m.startswith('edge.')"
              " or m.startswith('pjsua2') or m == 'boto3'))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
