"""``python -m perfcore.serving SPEC_JSON [FD]``: the server child process started by process.py."""

from __future__ import annotations

import sys

from perfcore.errors import PerfcoreError
from perfcore.serving.server import ServerSpec, run_server


def main(argv: list[str]) -> int:
    """Run one server from a JSON spec, adopting a listening socket fd when given."""
    if len(argv) not in (1, 2):
        print("usage: python -m perfcore.serving SPEC_JSON [FD]", file=sys.stderr)
        return 2
    try:
        run_server(ServerSpec.from_json(argv[0]), fd=int(argv[1]) if len(argv) == 2 else None)
    except PerfcoreError as exc:
        print(f"perfcore serving: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
