"""The edge's TLS transport negotiates TLS 1.3 with a PBX that requires it (the PyPI wheel,
with OpenSSL 1.0.2k, could not), and refuses TLS 1.1."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# One pjsua2 Endpoint per process: the probe runs in its own interpreter, with the edge's own
# transports, against a TLS listener that accepts only the versions given.
PROBE = textwrap.dedent('''
    import json, socket, ssl, subprocess, sys, tempfile, threading, time
    from pathlib import Path
    import pjsua2 as pj
    from edge.sip.endpoint import create_endpoint, create_transports
    from smartalex.domain.trunk import Transport

    low, high = (getattr(ssl.TLSVersion, v) for v in sys.argv[1:3])
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", tmp / "key.pem", "-out",
                    tmp / "cert.pem"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    ctx.minimum_version, ctx.maximum_version = low, high
    if low <= ssl.TLSVersion.TLSv1_1:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    server = socket.create_server(("127.0.0.1", 0))
    seen = {}

    def serve():
        conn, _ = server.accept()
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            seen.update(version=tls.version(), request=tls.recv(100).split(b" ")[0].decode())
        except (ssl.SSLError, OSError) as err:
            seen.update(error=type(err).__name__)

    threading.Thread(target=serve, daemon=True).start()
    ep = create_endpoint(0)
    ids = create_transports(ep, "127.0.0.1")
    ep.libStart()
    ep.audDevManager().setNullDev()
    acc, cfg = pj.Account(), pj.AccountConfig()
    cfg.idUri = "sip:1000@127.0.0.1"
    cfg.regConfig.registrarUri = f"sip:127.0.0.1:{server.getsockname()[1]};transport=tls"
    cfg.sipConfig.transportId = ids["tls-unverified"]
    acc.create(cfg)
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        ep.libHandleEvents(20)
    print(json.dumps(seen))
    acc.shutdown()
    ep.libDestroy()
''')


def probe(low: str, high: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, low, high], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=30).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.sip
def test_a_pbx_that_requires_tls_1_3_gets_it():
    assert probe("TLSv1_3", "TLSv1_3") == {"version": "TLSv1.3", "request": "REGISTER"}


@pytest.mark.sip
def test_tls_1_1_is_refused():
    assert "error" in probe("TLSv1", "TLSv1_1")
