"""Install Kamailio from Debian when missing: the project's machines start bare,
so the test PBX must be able to bring its own server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

KAMAILIO = "/usr/sbin/kamailio"
KAMCMD = "/usr/sbin/kamcmd"
TLS_MODULE = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so")


class KamailioInstallError(RuntimeError):
    """apt-get could not provide Kamailio."""


def find_binary(name: str, default: str) -> str | None:
    """Kamailio lives in /usr/sbin, which is not always on a non-root PATH."""
    found = shutil.which(name)
    if found:
        return found
    return default if Path(default).exists() else None


def _tls_module_present() -> bool:
    return TLS_MODULE.exists() or any(Path("/usr/lib").glob("*/kamailio/modules/tls.so"))


def ensure_kamailio_installed(tls: bool = False) -> str:
    """Return the kamailio binary path, installing the Debian packages if needed."""
    need = []
    if not (find_binary("kamailio", KAMAILIO) and find_binary("kamcmd", KAMCMD)):
        need.append("kamailio")
    if tls and not _tls_module_present():
        need.append("kamailio-tls-modules")
    if need:
        if not shutil.which("apt-get"):
            raise KamailioInstallError(f"need {' '.join(need)} but apt-get is not available")
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", *need]):
            res = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            )
            if res.returncode != 0:
                raise KamailioInstallError(
                    f"`{' '.join(cmd)}` failed (exit {res.returncode}); are you root?\n"
                    f"{res.stdout[-2000:]}{res.stderr[-2000:]}"
                )
    binary = find_binary("kamailio", KAMAILIO)
    if not binary or not find_binary("kamcmd", KAMCMD):
        raise KamailioInstallError("kamailio/kamcmd still missing after apt-get install kamailio")
    return binary
