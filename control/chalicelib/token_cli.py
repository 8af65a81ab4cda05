"""Print a local bearer token: `python -m control.chalicelib.token_cli --tenant NAME`.

For the dev stack (SMARTALEX_AUTH_MODE=local), signed with SMARTALEX_LOCAL_TOKEN_KEY. It is not
`control/token.py` because a module named `token` in control/ would shadow the standard
library's `token` whenever control/ is first on sys.path (`chalice local` puts it there).
"""

from __future__ import annotations

import argparse
import os
import sys

from .auth import ConfigurationError, issue_local_token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m control.chalicelib.token_cli",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", required=True, help="tenant name (1-64 of A-Z a-z 0-9 _ . -)")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    args = parser.parse_args(argv)
    try:
        print(issue_local_token(args.tenant, os.environ.get("SMARTALEX_LOCAL_TOKEN_KEY", ""),
                                ttl_seconds=args.ttl))
    except (ConfigurationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
