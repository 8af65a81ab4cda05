"""`python -m devstack run` | `call` | `token --tenant NAME` | `pump` | `policies [RUNTIME]`."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole system locally until Ctrl-C")
    sub.add_parser("call", help="a test call to the AI as the demo's extension 300 "
                                "(make call; --help for its options)", add_help=False)
    token = sub.add_parser("token", help="print a local bearer token for a tenant")
    token.add_argument("--tenant", required=True)
    sub.add_parser("pump", help="the edge-events function fed from its queue, until SIGTERM "
                                "(make run starts it; signs with the keys in its environment)")
    policies = sub.add_parser("policies", help="print the IAM policies each runtime gets on the "
                                               "local endpoint (its role's, from the CDK app)")
    policies.add_argument("runtime", nargs="?", help="api, edge-events or edge (default: all)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "call":
        from .call import main as call

        return call(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "run":
        from .run import main as run

        return run()
    if args.command == "pump":
        from .sqs_pump import main as pump

        return pump()
    if args.command == "policies":
        import dataclasses

        from .runtime_policies import LOCAL_ACCOUNT, RUNTIMES, Local, local_policies

        if args.runtime and args.runtime not in RUNTIMES:
            parser.error(f"unknown runtime {args.runtime!r}; one of {', '.join(RUNTIMES)}")
        local = Local.here()
        if not local.secrets_key_arn:  # make run creates it, with an id of moto's choosing
            local = dataclasses.replace(local, secrets_key_arn=(
                f"arn:aws:kms:{local.region}:{LOCAL_ACCOUNT}:key/<the key make run creates>"))
        rendered = local_policies(local=local)
        shown = {r: dict(docs) for r, docs in rendered.items() if args.runtime in (None, r)}
        print(json.dumps(shown, indent=2))
        return 0
    from .tokens import token_for

    print(token_for(args.tenant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
