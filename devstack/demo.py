"""The demo: a Kamailio test PBX with a few extensions, a trunk for extension 1000 on it, a
directory, and the built-in receptionist answering, so a softphone registered as 300 can dial
1000 and ask for "billing" or key 2-1-5."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests

from .pbx import KamailioPBX, ensure_kamailio_installed

DEMO_TENANT = "demo"
AI_EXTENSION = "1000"
# 100 reception, 215 billing (Sarah), 300 a caller's desk phone; 1000 is the AI.
EXTENSIONS = (AI_EXTENSION, "100", "215", "300")
DIRECTORY = (
    {"extension": "100", "display_name": "Reception", "aliases": ["front desk", "operator"]},
    {"extension": "215", "display_name": "Sarah Murphy", "aliases": ["accounts", "billing"]},
)


def demo_address() -> str:
    """Where the demo PBX and the edge listen: loopback unless SMARTALEX_DEMO_ADDRESS names one
    of this machine's addresses, so a softphone on another computer can register as 300 and
    hear the AI (SIP and RTP both go to that address)."""
    address = os.environ.get("SMARTALEX_DEMO_ADDRESS", "127.0.0.1").strip()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise SystemExit(f"SMARTALEX_DEMO_ADDRESS={address!r} is not an IP address; give one "
                         "of this machine's (ip -brief address), e.g. 192.168.1.20.") from None
    if parsed.is_unspecified:
        raise SystemExit("SMARTALEX_DEMO_ADDRESS must be one address of this machine, not "
                         f"{address}: the PBX tells phones where to send audio.")
    with socket.socket(socket.AF_INET6 if parsed.version == 6 else socket.AF_INET,
                       socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError:
            raise SystemExit(f"SMARTALEX_DEMO_ADDRESS={address} is not an address of this "
                             "machine (ip -brief address lists them).") from None
    return address


def demo_network(address: str) -> tuple[str, ...]:
    """The network the demo address is on (its interface's prefix, from `ip -json address`),
    whose phones the demo PBX takes calls from and rings: the office LAN a softphone joins
    from. Nothing beyond loopback for a loopback address; the address alone when `ip` cannot
    tell (the softphone's calls then need it on this machine)."""
    if ipaddress.ip_address(address).is_loopback:
        return ()
    try:
        shown = subprocess.run(["ip", "-json", "address", "show"], capture_output=True,
                               text=True, timeout=5, check=True).stdout
        for interface in json.loads(shown):
            for entry in interface.get("addr_info", ()):
                if entry.get("local") == address:
                    return (str(ipaddress.ip_interface(f"{address}/{entry['prefixlen']}")
                                .network),)
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        pass
    return (address,)


def run_demo(stack: contextlib.ExitStack, api_url: str, token: str, state_dir: Path,
             stop: threading.Event) -> None:
    from .state import demo_pbx_users

    ensure_kamailio_installed()
    users = demo_pbx_users(EXTENSIONS)
    port = int(os.environ.get("SMARTALEX_PBX_PORT", "5060"))
    address = demo_address()
    pbx = KamailioPBX(state_dir / "pbx", port=port, users=users, host=address,
                      any_address=True, peers=demo_network(address)).start()
    stack.callback(pbx.stop)
    print(f"Demo PBX (Kamailio) on {pbx.host}:{pbx.port}, extensions {', '.join(EXTENSIONS)}; "
          f"their SIP passwords are in {state_dir / 'demo-pbx-users.json'}", flush=True)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    trunk = _demo_trunk(api, api_url, pbx, users[AI_EXTENSION])
    _demo_routing(api, api_url, trunk["id"])
    _watch(api, f"{api_url}/v1/trunks/{trunk['id']}", stop)


def _demo_trunk(api: requests.Session, api_url: str, pbx: KamailioPBX, password: str) -> dict:
    """Create the demo trunk, or bring an existing one (a persistent LocalStack) up to date."""
    body = {"pbx_type": "other", "domain": pbx.host, "extension": AI_EXTENSION,
            "password": password, "port": pbx.port, "label": "Demo AI extension"}
    created = api.post(f"{api_url}/v1/trunks", json=body, timeout=10)
    if created.status_code == 201:
        return created.json()
    if created.status_code != 409:
        raise SystemExit(f"Could not create the demo trunk: {created.status_code} {created.text}")
    existing = next(t for t in api.get(f"{api_url}/v1/trunks", timeout=10).json()["trunks"]
                    if t["domain"] == pbx.host and t["extension"] == AI_EXTENSION)
    patched = api.patch(f"{api_url}/v1/trunks/{existing['id']}", timeout=10,
                        json={"port": pbx.port, "password": password})
    patched.raise_for_status()
    return patched.json()


def _demo_routing(api: requests.Session, api_url: str, trunk_id: str) -> None:
    """The directory and a receptionist linked to the trunk, through the API (idempotent)."""
    for entry in DIRECTORY:
        api.put(f"{api_url}/v1/trunks/{trunk_id}/directory/{entry['extension']}", json=entry,
                timeout=10).raise_for_status()
    agents = api.get(f"{api_url}/v1/agents", timeout=10).json()["agents"]
    agent = next((a for a in agents if a["name"] == "Demo receptionist"), None)
    if agent is None:
        created = api.post(f"{api_url}/v1/agents", timeout=10,
                           json={"name": "Demo receptionist", "kind": "receptionist"})
        created.raise_for_status()
        agent = created.json()
    api.put(f"{api_url}/v1/agents/{agent['id']}/telephony", json={"trunk_id": trunk_id},
            timeout=10).raise_for_status()


def _watch(api: requests.Session, url: str, stop: threading.Event, timeout: float = 60) -> None:
    """Print the demo trunk's status as it changes, until it reads Registered."""
    deadline, last = time.monotonic() + timeout, None
    while not stop.is_set() and time.monotonic() < deadline:
        registration = api.get(url, timeout=10).json()["registration"]
        line = registration["label"] + (f" — {registration['error']}" if registration["error"] else "")
        if line != last:
            print(f"Demo trunk: {line}", flush=True)
            last = line
        if registration["state"] == "registered":
            return
        stop.wait(0.25)
    if not stop.is_set():
        raise SystemExit("The demo trunk did not register within 60 s; see .state/logs/edge.log")
