"""`make run`: the whole system on this machine, until Ctrl-C.

Starts (or reuses) the AWS endpoint, the API under `chalice local`, the local pump for the
edge-events queue, one edge, the admin console's site and, unless SMARTALEX_DEMO_PBX=0, a
Kamailio test PBX with a demo trunk; prints API_URL=, API_TOKEN= and CONSOLE_URL= (also written
to .state/run.env), then waits. Ctrl-C stops everything it started.

On the moto server, IAM is enforced: the API, the edge-events handler and the edge each sign as
an IAM user of their own whose policies are their deployed role's (devstack/identities.py), so a
call the role does not allow fails here as it would in AWS (refusals: .state/logs/aws.log).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from pathlib import Path

from . import aws_endpoint, console, identities, snapshot
from .demo import DEMO_TENANT, run_demo
from .processes import Child, wait_until
from .runtime_policies import API, EDGE, EDGE_EVENTS
from .state import STATE_DIR, ROOT, local_token_key
from .tokens import token_for


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def start_endpoint(stack: contextlib.ExitStack,
                   logs: Path) -> tuple[str, aws_endpoint.EmbeddedMoto | None]:
    """The endpoint's URL, and the moto server if we started one (None: the user's)."""
    url = aws_endpoint.configured_endpoint()
    if url:
        if not aws_endpoint.is_listening(url):
            raise SystemExit(f"AWS endpoint {url} (from AWS_ENDPOINT_URL/LOCALSTACK_HOST) does not "
                             "answer. Start LocalStack, or unset both to use the embedded moto server.")
        print(f"Using the AWS endpoint at {url}", flush=True)
        return url, None
    port = _port("SMARTALEX_AWS_PORT", aws_endpoint.DEFAULT_PORT)
    url = f"http://127.0.0.1:{port}"
    if aws_endpoint.is_listening(url):
        raise SystemExit(f"Port {port} is taken. If LocalStack runs there, set "
                         f"AWS_ENDPOINT_URL={url}; otherwise stop what uses it.")
    server = aws_endpoint.EmbeddedMoto(port=port, log=logs / "aws.log").start()
    stack.callback(server.stop)
    print(f"Embedded moto server on {url}", flush=True)
    return url, server


def start_identities(server: aws_endpoint.EmbeddedMoto | None,
                     logs: Path) -> dict[str, identities.Identity] | None:
    """Each runtime's own IAM identity, IAM enforced (on our moto server only)."""
    if server is None:
        print("IAM is not enforced on that endpoint: every runtime signs with the local keys.",
              flush=True)
        return None
    found = identities.enforce(server)
    users = ", ".join(identities.user_name(name) for name in (API, EDGE_EVENTS, EDGE))
    print(f"IAM enforced: the runtimes sign as {users}, with their roles' policies from the CDK "
          f"app (python -m devstack policies); refusals are logged in {logs / 'aws.log'}",
          flush=True)
    return found


def runtime_env(env: dict[str, str], found: dict[str, identities.Identity] | None,
                runtime: str) -> dict[str, str]:
    """`env` for the runtime's process: with its own keys when identities exist."""
    return found[runtime].process_environment(env) if found else dict(env)


def check_ports_free(ports: dict[str, int]) -> None:
    """Before anything starts: a port already taken would send the demo's requests, SIP
    password included, to whatever answers there. Tried by binding it, so whatever holds the
    port is not even connected to."""
    for setting, port in ports.items():
        with socket.socket() as probe:
            # Past connections in TIME_WAIT (the last run's) do not make a port taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise SystemExit(f"Port {port} is taken; stop what uses it, or set {setting} "
                                 "to a free port.") from None


def start_api(stack: contextlib.ExitStack, env: dict[str, str], logs: Path,
              port: int | None = None) -> str:
    port = port or _port("SMARTALEX_API_PORT", 8000)
    url = f"http://127.0.0.1:{port}"
    chalice = str(Path(sys.executable).with_name("chalice"))
    api = Child("api", [chalice, "local", "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=ROOT / "control", log=logs / "api.log").start()
    stack.callback(api.stop)
    wait_until(lambda: aws_endpoint.is_listening(url) or not api.alive(), 30, "the API")
    if not api.alive():
        raise SystemExit(f"The API did not start; see {logs / 'api.log'}")
    return url


def start_edge(stack: contextlib.ExitStack, env: dict[str, str], logs: Path,
               workers: int | None = None) -> Child:
    from .demo import demo_address

    edge_env = dict(env, SMARTALEX_EDGE_SIP_BIND=demo_address(),
                    SMARTALEX_EDGE_HEALTH_FILE=str(logs.parent / "edge-health.json"))
    if workers:
        edge_env["SMARTALEX_EDGE_WORKERS"] = str(workers)
    edge = Child("edge", [sys.executable, "-m", "edge"], env=edge_env, cwd=ROOT,
                 log=logs / "edge.log").start()
    stack.callback(edge.stop)
    return edge


def start_pump(stack: contextlib.ExitStack, env: dict[str, str], logs: Path) -> Child:
    """The edge-events function fed from its queue (`python -m devstack pump`)."""
    pump = Child("pump", [sys.executable, "-m", "devstack", "pump"], env=env, cwd=ROOT,
                 log=logs / "edge-events.log").start()
    stack.callback(pump.stop)
    return pump


def start_console(stack: contextlib.ExitStack, api_url: str, logs: Path, port: int) -> str:
    """The console's site on loopback; its URL without the token."""
    from smartalex.adapters import names
    from smartalex.console_site import local_config

    site = console.ConsoleSite(console.DIST, local_config(api_url, names.stage()), api_url)
    server = console.serve(site, "127.0.0.1", port, logs / "console.log")
    stack.callback(server.shutdown)
    return f"http://127.0.0.1:{port}/"


def keep_state(stack: contextlib.ExitStack, stop: threading.Event) -> None:
    """Put back what the last run saved, and save from now on (devstack/snapshot.py): every
    few seconds and once more at the end, after the edge has handed its leases back (this
    callback is registered right after the AWS endpoint's, so it runs just before it stops)."""
    kept = snapshot.Snapshot.of_this_stack()
    restored = kept.restore()
    if restored:
        print(f"Restored the local state of the last run ({restored} items; `make reset` "
              "starts empty)", flush=True)

    def every_few_seconds() -> None:
        while not stop.wait(snapshot.SAVE_EVERY_SECONDS):
            try:
                kept.save()
            except Exception as err:  # noqa: BLE001 - a failed save must not stop the stack
                print(f"Could not save the local state: {err}", file=sys.stderr, flush=True)

    saver = threading.Thread(target=every_few_seconds, name="snapshot", daemon=True)
    saver.start()

    def at_the_end() -> None:
        stop.set()
        saver.join()
        kept.save()

    stack.callback(at_the_end)


def write_run_env(values: dict[str, str]) -> Path:
    """The printed values, for `source .state/run.env` in another terminal (the token signs in
    as the demo tenant: readable by this user only)."""
    path = STATE_DIR / "run.env"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(f"export {name}='{value}'\n" for name, value in values.items())
    return path


def main() -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logs = STATE_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SMARTALEX_AUTH_MODE", "local")
    os.environ["SMARTALEX_LOCAL_TOKEN_KEY"] = local_token_key()
    demo = os.environ.get("SMARTALEX_DEMO_PBX", "1") != "0"
    from .demo import demo_address

    demo_address()  # a wrong SMARTALEX_DEMO_ADDRESS is named before anything starts
    api_port = _port("SMARTALEX_API_PORT", 8000)
    console_port = _port("SMARTALEX_CONSOLE_PORT", console.DEFAULT_PORT)
    check_ports_free({"SMARTALEX_API_PORT": api_port, "SMARTALEX_CONSOLE_PORT": console_port})
    console_origin = f"http://127.0.0.1:{console_port}"
    os.environ["SMARTALEX_CONSOLE_ORIGIN"] = console_origin  # the API's CORS (routes/cors.py)
    # What the trunks tell PBX admins to allow: where this machine's edge registers from.
    os.environ.setdefault("SMARTALEX_EDGE_PUBLIC_ADDRESSES", demo_address())
    with contextlib.ExitStack() as stack:
        url, server = start_endpoint(stack, logs)
        aws_endpoint.use_endpoint(url)
        aws_endpoint.provision(queue_visibility_timeout=10)
        if server is not None:
            keep_state(stack, stop)
        found = start_identities(server, logs)
        env = dict(os.environ)
        api_url = start_api(stack, runtime_env(env, found, API), logs, api_port)
        console_url = start_console(stack, api_url, logs, console_port)
        children = [start_pump(stack, runtime_env(env, found, EDGE_EVENTS), logs),
                    start_edge(stack, runtime_env(env, found, EDGE), logs)]
        token = token_for(DEMO_TENANT)
        if demo:
            run_demo(stack, api_url, token, STATE_DIR, stop)
        values = {"API_URL": api_url, "API_TOKEN": token,
                  "CONSOLE_URL": f"{console_url}#token={token}"}
        print("\n".join(f"{name}={value}" for name, value in values.items()), flush=True)
        print(f"Open CONSOLE_URL in a browser (signed in as the {DEMO_TENANT} tenant). In another "
              f"terminal, `source {write_run_env(values)}` sets these for curl.", flush=True)
        print(f"Logs in {logs}. Ctrl-C stops everything.", flush=True)
        while not stop.wait(1):
            dead = [c.name for c in children if not c.alive()]
            if dead:
                print(f"{', '.join(dead)} stopped unexpectedly; see {logs}. Shutting down.",
                      file=sys.stderr, flush=True)
                return 1
        print("Stopping…", flush=True)
    return 0
