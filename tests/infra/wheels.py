"""Is an installed package set loadable on Lambda's python3.11 runtime (Amazon Linux 2,
glibc 2.26, x86_64)? Read from each `*.dist-info/WHEEL`: a wheel built here from source is
tagged `linux_x86_64` and links against this machine's newer glibc."""

from __future__ import annotations

import re
from pathlib import Path

LAMBDA_GLIBC = (2, 26)
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def _glibc(platform: str) -> tuple[int, int] | None:
    m = re.match(r"manylinux_(\d+)_(\d+)_x86_64$", platform)
    if m:
        return int(m[1]), int(m[2])
    m = re.match(r"(manylinux1|manylinux2010|manylinux2014)_x86_64$", platform)
    return _LEGACY[m[1]] if m else None


def incompatible_with_lambda(site_dir: Path) -> list[str]:
    bad = []
    for wheel in sorted(Path(site_dir).rglob("*.dist-info/WHEEL")):
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines()
                if line.startswith("Tag:")]
        platforms = {tag.rsplit("-", 1)[1] for tag in tags}
        if "any" in platforms:
            continue
        if not any((g := _glibc(p)) and g <= LAMBDA_GLIBC for p in platforms):
            bad.append(f"{wheel.parent.name}: {sorted(platforms)}")
    return bad
