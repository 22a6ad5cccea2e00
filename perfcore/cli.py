"""The ``perfcore`` command: parses arguments, calls the public API, maps errors to exit codes.

Each subcommand lives in its own module under ``perfcore/_cli/``, listed in that
package's ``COMMANDS``, and exposes ``configure(parser)``; the handler it installs
takes the parsed namespace, builds typed settings from it and returns an exit
status. Nothing below this face ever sees an ``argparse.Namespace``.

This is the one place failures become exit codes (docs/errors.md): a
:class:`~perfcore.errors.PerfcoreError` its own code (2 unless it says otherwise),
an ``OSError`` (permissions, a full disk) 2, an interrupt 130, and anything else 3,
"internal error", with the traceback only when ``PERFCORE_DEBUG=1``. Every message is
one line on stderr; exit 1 stays reserved for a failed measurement.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from perfcore import _cli
from perfcore.errors import PerfcoreError

__all__ = ["EXIT_FAILED", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TERMINATED = 128 + 15  # as a shell reports a process ended by SIGTERM


class _Version(argparse.Action):
    """``--version``: reads the package metadata only when asked (start-up stays light)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        from perfcore._version import package_version

        print(f"perfcore {package_version()}")
        parser.exit()


# A bug in perfcore, not a verdict and not the user's input: distinct from both (docs/errors.md).
EXIT_INTERNAL = 3
DEBUG_ENV = "PERFCORE_DEBUG"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_one_line(message)}\n")


def build_parser(command: str | None = None, *, full: bool = True) -> argparse.ArgumentParser:
    """The parser, with every subcommand of perfcore/_cli's table registered.

    ``full=False``: only ``command``'s module is imported and its options built; every
    other command is listed by name and help alone, from the table. Importing ~20
    command modules and building ~200 options is most of what ``perfcore --help``
    would otherwise spend.
    """
    parser = _Parser(
        prog="perfcore",
        description="Benchmark and load-test ML systems, "
        "judge the numbers against baselines, and report.",
    )
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in _cli.COMMANDS:
        if not full and name != command:
            subparsers.add_parser(name, add_help=False, help=help_text)
            continue
        module = importlib.import_module(_cli.module_name(name))
        sub = subparsers.add_parser(name, help=help_text, description=module.DESCRIPTION)
        module.configure(sub)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(text: object) -> str:
    # A message quoting a file's content may hold newlines; stderr gets exactly one line.
    return " ".join(str(text).split()) or "(no message)"


def _show_warning(  # noqa: PLR0917 -- the signature warnings.showwarning has
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    print(f"perfcore: warning: {_one_line(message)}", file=file or sys.stderr)


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed measurement, 2 bad input,
    3 internal error)."""
    if list(sys.argv[1:] if argv is None else argv) == ["--version"]:
        # Answered before the parser loads every command module: the common case, fast.
        from perfcore._version import package_version

        print(f"perfcore {package_version()}")
        return EXIT_OK
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(words), full=False)
    args = parser.parse_args(words)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from perfcore._procs import raise_on_sigterm  # not before: --help stays light

    raise_on_sigterm()  # SIGTERM unwinds like Ctrl-C: servers, children, worktrees cleaned up
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _call(handler, args)


def _call(handler: object, args: argparse.Namespace) -> int:
    from perfcore._procs import Terminated

    try:
        return int(handler(args))  # type: ignore[operator]
    except PerfcoreError as exc:
        print(f"perfcore: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("perfcore: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("perfcore: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        # The environment refused: permissions, a full disk, a vanished file.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"perfcore: error: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # the last line of defence, see docs/errors.md
        if _debug():
            import traceback  # only on this path: --help stays light

            traceback.print_exc()
        print(
            f"perfcore: internal error: {type(exc).__name__}: {_one_line(exc)} (a bug in "
            f"perfcore; run with {DEBUG_ENV}=1 for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
