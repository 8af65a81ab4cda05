"""`make run`: the whole system on this machine, until Ctrl-C.

Starts (or reuses) the AWS endpoint, the API under `chalice local`, the local pump for the
edge-events queue, one edge and, unless SMARTALEX_DEMO_PBX=0, a Kamailio test PBX with a demo
trunk; prints API_URL= and API_TOKEN=, then waits. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

from . import aws_endpoint
from .demo import DEMO_TENANT, run_demo
from .processes import Child, wait_until
from .state import STATE_DIR, ROOT, local_token_key
from .tokens import token_for


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def start_endpoint(stack: contextlib.ExitStack) -> str:
    url = aws_endpoint.configured_endpoint()
    if url:
        if not aws_endpoint.is_listening(url):
            raise SystemExit(f"AWS endpoint {url} (from AWS_ENDPOINT_URL/LOCALSTACK_HOST) does not "
                             "answer. Start LocalStack, or unset both to use the embedded moto server.")
        print(f"Using the AWS endpoint at {url}", flush=True)
        return url
    port = _port("SMARTALEX_AWS_PORT", aws_endpoint.DEFAULT_PORT)
    url = f"http://127.0.0.1:{port}"
    if aws_endpoint.is_listening(url):
        raise SystemExit(f"Port {port} is taken. If LocalStack runs there, set "
                         f"AWS_ENDPOINT_URL={url}; otherwise stop what uses it.")
    server = aws_endpoint.EmbeddedMoto(port=port).start()
    stack.callback(server.stop)
    print(f"Embedded moto server on {url}", flush=True)
    return url


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
    edge_env = dict(env, SMARTALEX_EDGE_SIP_BIND="127.0.0.1",
                    SMARTALEX_EDGE_HEALTH_FILE=str(logs.parent / "edge-health.json"))
    if workers:
        edge_env["SMARTALEX_EDGE_WORKERS"] = str(workers)
    edge = Child("edge", [sys.executable, "-m", "edge"], env=edge_env, cwd=ROOT,
                 log=logs / "edge.log").start()
    stack.callback(edge.stop)
    return edge


def start_pump(stack: contextlib.ExitStack, queues: dict[str, str]) -> None:
    from functions.edge_events.handler import lambda_handler

    from .sqs_pump import QueuePump

    pump = QueuePump(queues["edge_events"], lambda_handler, "edge-events").start()
    stack.callback(pump.stop)


def main() -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    logs = STATE_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SMARTALEX_AUTH_MODE", "local")
    os.environ["SMARTALEX_LOCAL_TOKEN_KEY"] = local_token_key()
    with contextlib.ExitStack() as stack:
        aws_endpoint.use_endpoint(start_endpoint(stack))
        queues = aws_endpoint.provision(queue_visibility_timeout=10)
        env = dict(os.environ)
        api_url = start_api(stack, env, logs)
        start_pump(stack, queues)
        children = [start_edge(stack, env, logs)]
        token = token_for(DEMO_TENANT)
        if os.environ.get("SMARTALEX_DEMO_PBX", "1") != "0":
            run_demo(stack, api_url, token, STATE_DIR, stop)
        print(f"API_URL={api_url}\nAPI_TOKEN={token}", flush=True)
        print(f"Logs in {logs}. Ctrl-C stops everything.", flush=True)
        while not stop.wait(1):
            dead = [c.name for c in children if not c.alive()]
            if dead:
                print(f"{', '.join(dead)} stopped unexpectedly; see {logs}. Shutting down.",
                      file=sys.stderr, flush=True)
                return 1
        print("Stopping…", flush=True)
    return 0
