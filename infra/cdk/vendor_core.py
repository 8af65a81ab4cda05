"""How the control API's code reaches its Lambda: through Chalice's `vendor/` directory.

Chalice packages only app.py, chalicelib/ and vendor/ (copied as-is to the zip's root), and
the domain core smartalex/ is not on PyPI, so it is copied into vendor/ (`vendor_core`).

For deployment the stack packages a staged copy of control/ (`stage_control_app`) whose
vendor/ also holds control/requirements.txt already installed for the Lambda platform, and
which has no requirements.txt of its own, so `chalice package` only zips. Reason: Chalice's
own dependency builder falls back to compiling any package without a wheel for Lambda's
glibc (2.26 on python3.11): rapidfuzz 3.14 took 12 minutes to compile and its result needs
GLIBC_2.34, i.e. it would not even import on Lambda. `pip install --platform
manylinux2014_x86_64 --only-binary=:all:` (bundling.py) picks the newest release that does
have a compatible wheel, is cached per requirement set, and is the same route the
queue-handler Lambdas take. control/ itself is never written to.

    python -m infra.cdk.vendor_core            # stage, print the staged dir
    python -m infra.cdk.vendor_core control    # only copy smartalex/ into control/vendor/
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .bundling import REPO, install_requirements, link_or_copy_tree, requirements_file

CORE_PACKAGES = ("smartalex",)
CONTROL_DIR = REPO / "control"
STAGE_DIR = REPO / "build" / "chalice" / "control"
# What Chalice reads from a project: the app, its library and the config.
_APP_FILES = ("app.py", "chalicelib", ".chalice/config.json")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def vendor_core(control_dir: Path = CONTROL_DIR) -> Path:
    """Replace control_dir/vendor/<pkg> with a fresh copy of each core package."""
    vendor = Path(control_dir) / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    for package in CORE_PACKAGES:
        target = vendor / package
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(REPO / package, target, ignore=_IGNORE)
    return vendor


def _clear_keeping_chalice_cache(stage_dir: Path, keep: int = 4) -> None:
    """Empty stage_dir except .chalice/deployments (its newest `keep` zips)."""
    stage_dir.mkdir(parents=True, exist_ok=True)
    cache = stage_dir / ".chalice" / "deployments"
    for child in stage_dir.iterdir():
        if child.name == ".chalice":
            for item in child.iterdir():
                if item != cache:
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
        elif child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    if cache.is_dir():
        zips = sorted(cache.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in zips[keep:]:
            old.unlink()


def stage_control_app(control_dir: Path = CONTROL_DIR, stage_dir: Path = STAGE_DIR) -> Path:
    """A copy of the Chalice app with its dependencies and the core in vendor/; returns it.

    Rewritten on every call (Chalice keys its own package cache on the content, so an
    unchanged app still packages from cache).
    """
    control_dir, stage_dir = Path(control_dir), Path(stage_dir)
    missing = [f for f in (*_APP_FILES, "requirements.txt") if not (control_dir / f).exists()]
    if missing:
        raise FileNotFoundError(f"{control_dir} is not a complete Chalice app: missing "
                                f"{', '.join(missing)}")
    _clear_keeping_chalice_cache(stage_dir)
    for name in _APP_FILES:
        source, target = control_dir / name, stage_dir / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=_IGNORE)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    dependencies = install_requirements(requirements_file(control_dir / "requirements.txt"))
    link_or_copy_tree(dependencies, stage_dir / "vendor")
    vendor_core(stage_dir)
    return stage_dir


if __name__ == "__main__":
    if sys.argv[1:]:
        print(vendor_core(Path(sys.argv[1])))
    else:
        print(stage_control_app())
