"""Argparse options that several commands share, each built in one place.

A flag spelt the same in two commands means the same there: one builder keeps its
name, default and help text alike (the judging options of compare, gate and report;
the micro-batching of serve and load; the exit-code switch of compare and report).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from perfcore._cli._flags import float_in, int_in
from perfcore.serving.limits import MAX_BATCH_ROWS, MAX_BATCH_WAIT_MS

__all__ = [
    "add_actions",
    "add_batching_options",
    "add_cross_machine_flag",
    "add_exit_code_flag",
    "add_judging_options",
    "named",
]

Options = argparse.ArgumentParser | argparse._ArgumentGroup


def add_judging_options(parser: Options) -> None:
    """Options shared by compare, gate and report: alpha, threshold, noise file."""
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="family-wise false-alarm rate (default: [tool.perfcore] alpha)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="regression threshold as a fraction, e.g. 0.05 (default: [tool.perfcore] threshold)",
    )
    parser.add_argument(
        "--noise",
        type=Path,
        default=None,
        help="calibrated noise (perfcore.noise/1); default: noise.json "
        "beside the baseline when present",
    )


def add_exit_code_flag(parser: Options) -> None:
    """``--exit-code``: the gate's status instead of 0 (compare, report)."""
    parser.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with the gate's status (1 on regression, 2 refused) instead of 0",
    )


def add_cross_machine_flag(parser: Options) -> None:
    """``--allow-cross-machine`` (compare, gate)."""
    parser.add_argument(
        "--allow-cross-machine",
        action="store_true",
        help="judge results measured on different machines",
    )


def add_batching_options(parser: Options) -> None:
    """The local server's micro-batching: ``--batch-rows`` and ``--batch-wait-ms`` (serve, load)."""
    parser.add_argument(
        "--batch-rows",
        type=int_in(0, MAX_BATCH_ROWS),
        default=0,
        help="micro-batch up to N rows (0: off)",
    )
    parser.add_argument(
        "--batch-wait-ms", type=float_in(0, MAX_BATCH_WAIT_MS, unit="ms"), default=1.0
    )


def add_actions(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The required ACTION word of a command made of actions (``perfcore models list``)."""
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def named(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The parsed options ``names``, as keyword arguments for settings whose fields share
    their names (a typo is an ``AttributeError``, not a silent default)."""
    return {name: getattr(args, name) for name in names}
