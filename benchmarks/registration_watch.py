"""How fast the edge notices a registration that is no longer there, with its default settings
(keepalive every 20 s, bindings check every 25 s and before each refresh, 300 s registrations).

On the local stack with a real Kamailio (one contact per extension: the newest registration
wins, as on Asterisk with remove_existing, 3CX and FreePBX), it prints:
- a desk phone registering the AI's extension with its credentials -> the trunk reads Failed
  (issue 11's target: at most 2 minutes);
- the PBX going away (stopped) -> the trunk reads Connecting;
- the PBX answering again after being down 10 s (it forgot every registration) -> the AI's
  extension registered on it again (target: within 30 s);
- a quick PBX restart (down for about a second) -> registered again (the bindings check's
  interval bounds it).

    .venv/bin/python benchmarks/registration_watch.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import local_aws  # noqa: E402
from devstack.pbx import KamailioPBX, free_port  # noqa: E402
from devstack.run import start_api, start_edge, start_pump  # noqa: E402
from tests.integration.conftest import PhoneProcess  # noqa: E402

TIMEOUT = 300.0


def until(check, what: str, timeout: float = TIMEOUT) -> float:
    """Seconds until `check()` is true (polled every 50 ms)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def figures(values: list[float]) -> str:
    return (f"median {statistics.median(values):6.1f} s, max {max(values):6.1f} s "
            f"({', '.join(f'{v:.1f}' for v in values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    work = Path(tempfile.mkdtemp(prefix="bench-registration-watch-"))
    os.environ.update(SMARTALEX_STAGE="bench", SMARTALEX_AUTH_MODE="local",
                      SMARTALEX_LOCAL_TOKEN_KEY=secrets.token_urlsafe(32),
                      SMARTALEX_EDGE_POLL_SECONDS="1")
    with contextlib.ExitStack() as stack:
        local_aws(stack)
        env = dict(os.environ)
        logs = work / "logs"
        logs.mkdir()
        api_url = start_api(stack, env, logs, port=free_port())
        start_pump(stack, env, logs)
        pbx = KamailioPBX(work / "pbx", users={"1000": "secret"}).start()
        stack.callback(pbx.stop)
        start_edge(stack, env, logs, workers=1)

        from control.chalicelib.auth import issue_local_token

        api = requests.Session()
        api.headers["Authorization"] = "Bearer " + issue_local_token(
            "bench", os.environ["SMARTALEX_LOCAL_TOKEN_KEY"])
        trunk = api.post(f"{api_url}/v1/trunks", json={
            "pbx_type": "asterisk", "domain": pbx.host, "port": pbx.port, "extension": "1000",
            "password": "secret"}, timeout=10).json()

        def state() -> str:
            return api.get(f"{api_url}/v1/trunks/{trunk['id']}", timeout=10).json()[
                "registration"]["state"]

        def ours() -> bool:
            return any("sa-trunk=" in c for c in pbx.contacts("1000"))

        until(lambda: state() == "registered", "the trunk to register", 60)
        taken, gone, back, quick = [], [], [], []
        for n in range(rounds):
            phone = PhoneProcess(["--register", f"{pbx.host}:{pbx.port}", "--user", "1000",
                                  "--password=secret"], logs / f"desk-{n}.log")
            phone.wait_for("registered", 10)
            taken.append(until(lambda: state() == "failed", "the trunk to read Failed"))
            phone.stop()
            api.post(f"{api_url}/v1/trunks/{trunk['id']}/reregister", timeout=10)
            until(lambda: state() == "registered" and ours(), "Registered after Re-register", 60)

            pbx.stop()
            gone.append(until(lambda: state() == "connecting", "the trunk to read Connecting"))
            time.sleep(10)
            pbx.start()
            back.append(until(ours, "the extension registered on the PBX again"))
            until(lambda: state() == "registered", "the trunk to read Registered", 60)

            pbx.restart()
            quick.append(until(ours, "the extension registered again after a quick restart"))
            until(lambda: state() == "registered", "the trunk to read Registered", 60)

    print(f"rounds: {rounds}; the edge's defaults (keepalive 20 s, bindings check 25 s)")
    print(f"another device takes the extension -> Failed:      {figures(taken)}   "
          "target <= 120 s")
    print(f"PBX stopped -> Connecting:                         {figures(gone)}")
    print(f"PBX answering again (down 10 s) -> registered:     {figures(back)}   "
          "target <= 30 s")
    print(f"quick PBX restart -> registered:                   {figures(quick)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
