"""`python -m devstack run` | `python -m devstack token --tenant NAME`."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the whole system locally until Ctrl-C")
    token = sub.add_parser("token", help="print a local bearer token for a tenant")
    token.add_argument("--tenant", required=True)
    args = parser.parse_args(argv)
    if args.command == "run":
        from .run import main as run

        return run()
    from .tokens import token_for

    print(token_for(args.tenant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
