"""Local test PBX (Kamailio registrar + proxy on loopback) for tests and the demo."""

from .install import KamailioInstallError, ensure_kamailio_installed
from .server import KamailioPBX, PBXError, free_media_port, free_port

__all__ = [
    "KamailioPBX",
    "KamailioInstallError",
    "PBXError",
    "ensure_kamailio_installed",
    "free_media_port",
    "free_port",
]
