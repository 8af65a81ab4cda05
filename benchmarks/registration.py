"""Registration benchmark on the local stack with a real Kamailio.

Prints: time from `POST /v1/trunks` to "registered" in the API for N trunks (p50, p95, max),
time from the Re-register button to "registered" again (and how many extensions the PBX still
has registered 12 s later), time for a wrong password to read Failed, and the edge's memory per
held registration (PSS of the supervisor and its workers, holding N trunks, against the same edge
idle as the baseline).

    .venv/bin/python benchmarks/registration.py [--trunks 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import local_aws, process_tree, pss_kib  # noqa: E402
from devstack.pbx import KamailioPBX, free_port  # noqa: E402
from devstack.processes import wait_until  # noqa: E402
from devstack.run import start_api, start_edge, start_pump  # noqa: E402


def edge_pss_mib(root: int) -> float:
    return sum(pss_kib(pid) for pid in process_tree(root)) / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def registered_again(api: requests.Session, api_url: str, trunk_ids: list[str]) -> list[float]:
    """Press Re-register on every trunk; seconds until each reads Registered with a new `since`."""
    def registrations() -> dict[str, dict]:
        trunks = api.get(f"{api_url}/v1/trunks", timeout=10).json()["trunks"]
        return {t["id"]: t["registration"] for t in trunks}

    before = {t: r["since"] for t, r in registrations().items()}
    pressed: dict[str, float] = {}
    for trunk_id in trunk_ids:
        api.post(f"{api_url}/v1/trunks/{trunk_id}/reregister", timeout=10).raise_for_status()
        pressed[trunk_id] = time.monotonic()
    done: dict[str, float] = {}
    deadline = time.monotonic() + 60
    while len(done) < len(trunk_ids) and time.monotonic() < deadline:
        for trunk_id, r in registrations().items():
            if trunk_id in pressed and r["state"] == "registered" and r["since"] != before[trunk_id]:
                done.setdefault(trunk_id, time.monotonic())
        time.sleep(0.05)
    return [done[t] - pressed[t] for t in done]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trunks", type=int, default=20)
    n = parser.parse_args().trunks
    work = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    os.environ.update(SMARTALEX_STAGE="bench", SMARTALEX_AUTH_MODE="local",
                      SMARTALEX_LOCAL_TOKEN_KEY=secrets.token_urlsafe(32),
                      SMARTALEX_EDGE_POLL_SECONDS="1")
    users = {str(2000 + i): secrets.token_urlsafe(8) for i in range(n + 1)}
    with contextlib.ExitStack() as stack:
        local_aws(stack)
        env = dict(os.environ)
        logs = work / "logs"
        logs.mkdir()
        api_url = start_api(stack, env, logs, port=free_port())
        start_pump(stack, env, logs)
        pbx = KamailioPBX(work / "pbx", users=users).start()
        stack.callback(pbx.stop)
        edge = start_edge(stack, env, logs, workers=n + 1)
        health = logs.parent / "edge-health.json"
        wait_until(lambda: health.exists() and all(
            w["ready"] for w in json.loads(health.read_text())["workers"]), 120, "edge workers")
        idle = edge_pss_mib(edge.proc.pid)

        from control.chalicelib.auth import issue_local_token

        api = requests.Session()
        api.headers["Authorization"] = "Bearer " + issue_local_token(
            "bench", os.environ["SMARTALEX_LOCAL_TOKEN_KEY"])
        posted: dict[str, float] = {}
        good = list(users.items())[:n]
        for ext, password in good:
            reply = api.post(f"{api_url}/v1/trunks", json={
                "pbx_type": "other", "domain": pbx.host, "port": pbx.port, "extension": ext,
                "password": password}, timeout=10)
            reply.raise_for_status()
            posted[reply.json()["id"]] = time.monotonic()
        registered: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while len(registered) < n and time.monotonic() < deadline:
            for trunk in api.get(f"{api_url}/v1/trunks", timeout=10).json()["trunks"]:
                if trunk["registration"]["state"] == "registered":
                    registered.setdefault(trunk["id"], time.monotonic())
            time.sleep(0.05)
        if len(registered) < n:
            print(f"only {len(registered)} of {n} trunks registered within 60 s", file=sys.stderr)
            return 1
        held = edge_pss_mib(edge.proc.pid)
        latencies = [registered[t] - posted[t] for t in posted]
        again = registered_again(api, api_url, list(posted))
        if len(again) < n:
            print(f"only {len(again)} of {n} trunks registered again within 60 s", file=sys.stderr)
            return 1
        time.sleep(12)  # an old account used to be let go 10 s after a Re-register
        still = sum(bool(pbx.contacts(ext)) for ext, _ in good)

        ext, _ = list(users.items())[n]
        start = time.monotonic()
        bad = api.post(f"{api_url}/v1/trunks", json={
            "pbx_type": "other", "domain": pbx.host, "port": pbx.port, "extension": ext,
            "password": "wrong-password"}, timeout=10).json()
        while api.get(f"{api_url}/v1/trunks/{bad['id']}", timeout=10).json()[
                "registration"]["state"] != "failed":
            if time.monotonic() - start > 30:
                print("the wrong password never read Failed", file=sys.stderr)
                return 1
            time.sleep(0.05)
        failed_after = time.monotonic() - start

    print(f"trunks: {n} (edge poll interval 1 s, {n + 1} workers, one trunk per worker)")
    print(f"POST -> registered: p50 {statistics.median(latencies):.2f} s, "
          f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s")
    print(f"Re-register -> registered again: p50 {statistics.median(again):.2f} s, "
          f"p95 {percentile(again, 0.95):.2f} s, max {max(again):.2f} s; "
          f"{still} of {n} extensions still registered on the PBX 12 s later")
    print(f"wrong password -> Failed: {failed_after:.2f} s")
    print(f"edge memory (PSS): idle {idle:.1f} MiB, holding {n}: {held:.1f} MiB, "
          f"{(held - idle) / n:.2f} MiB more per held registration, "
          f"{held / n:.1f} MiB per registration all in (one worker each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
