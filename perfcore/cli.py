"""The ``perfcore`` command: parses arguments, calls the public API, maps errors to exit codes.

Each subcommand lives in its own module under ``perfcore/_cli/`` and exposes
``register(subparsers)``; the handler it installs takes the parsed namespace,
builds typed settings from it and returns an exit status. Nothing below this
face ever sees an ``argparse.Namespace``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from perfcore import _cli
from perfcore._procs import Terminated, raise_on_sigterm
from perfcore.errors import PerfcoreError

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TERMINATED = 128 + 15  # as a shell reports a process ended by SIGTERM


class _Version(argparse.Action):
    """``--version``: reads the package metadata only when asked (start-up stays light)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from perfcore._version import package_version

        print(f"perfcore {package_version()}")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every subcommand module under perfcore/_cli registered."""
    parser = _Parser(prog="perfcore", description="Benchmark and load-test ML systems, "
                     "judge the numbers against baselines, and report.")
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # The command modules are the public .py files of _cli/ (a directory listing, not
    # pkgutil.iter_modules, which loads inspect: --help stays light).
    names = sorted(p.stem for p in Path(_cli.__file__).parent.glob("*.py"))
    for name in (n for n in names if not n.startswith("_")):
        module = importlib.import_module(f"perfcore._cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed measurement, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    raise_on_sigterm()  # SIGTERM unwinds like Ctrl-C: servers, children, worktrees cleaned up
    try:
        return int(handler(args))
    except PerfcoreError as exc:
        print(f"perfcore: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("perfcore: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("perfcore: interrupted", file=sys.stderr)
        return 130
