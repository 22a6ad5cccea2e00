"""``perfcore history add|show|changes``: per-machine run history and its change points."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli._options import add_actions
from perfcore.errors import InputError

_DEFAULT_ROOT = Path("reports/history")


DESCRIPTION = "Append runs to this machine's history, list it, find change points."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``history`` command and its ``add``, ``show`` and ``changes`` actions."""
    actions = add_actions(parser)
    add = actions.add_parser("add", help="append a results file to its machine's history")
    add.add_argument("file", type=Path, help="results file (any format perfcore reads)")
    add.set_defaults(handler=_add)
    show = actions.add_parser("show", help="list runs, or one result's values over time")
    show.add_argument("--result", metavar="ID", help="show this result's median per run")
    show.set_defaults(handler=_show)
    changes = actions.add_parser("changes", help="change points (E-Divisive means) per result")
    changes.add_argument("--result", metavar="ID", help="only this result")
    changes.add_argument(
        "--sig-level",
        type=float,
        default=0.05,
        help="permutation test significance level (default 0.05)",
    )
    changes.add_argument("--permutations", type=int, default=199)
    changes.add_argument("--seed", type=int, default=0, help="seed of the permutation test")
    changes.set_defaults(handler=_changes)
    for sub in (add, show, changes):
        sub.add_argument(
            "--history-dir",
            type=Path,
            default=None,
            help=f"history root (default: {_DEFAULT_ROOT})",
        )
        if sub is not add:
            sub.add_argument("--machine", default=None, help="machine id (default: this machine)")


def _root(args: argparse.Namespace) -> Path:
    from perfcore.config import load_settings

    return load_settings().resolve(args.history_dir or _DEFAULT_ROOT)


def _machine(args: argparse.Namespace) -> str:
    from perfcore.results.environment import current_machine

    # An empty --machine is a name like any other (refused), not "this machine".
    return str(args.machine) if args.machine is not None else current_machine().id


def _add(args: argparse.Namespace) -> int:
    from perfcore.results.history import append_run
    from perfcore.results.readers import UNKNOWN_MACHINE, read_any

    results = read_any(args.file)
    if results.run.machine.id == UNKNOWN_MACHINE.id:
        raise InputError(
            f"{args.file}: the machine that measured it is unknown; history is kept per machine"
        )
    path = append_run(results, _root(args))
    print(
        f"added {len(results.results)} results to the history of machine "
        f"{results.run.machine.id}: {path}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from perfcore.results.history import load_history, series

    machine = _machine(args)
    runs = load_history(_root(args), machine)
    if not runs:
        print(f"no history for machine {machine}")
        return 0
    if args.result:
        points = series(runs, args.result)
        if not points:
            raise InputError(f"no run of machine {machine} has result {args.result!r}")
        for p in points:
            print(f"{p.created}  {p.commit[:10] or '-':10}  {p.value:.6g}  (n={p.samples})")
        return 0
    for run in runs:
        print(
            f"{run.run.created}  {run.run.commit.id[:10] or '-':10}  "
            f"{run.run.source:16}  {len(run.results)} results"
        )
    return 0


def _changes(args: argparse.Namespace) -> int:
    import numpy as np

    from perfcore.analysis.changepoints import find_change_points
    from perfcore.results.history import load_history, result_ids, series

    machine = _machine(args)
    runs = load_history(_root(args), machine)
    ids = [args.result] if args.result else list(result_ids(runs))
    found = 0
    for rid in ids:
        points = series(runs, rid)
        changes = find_change_points(
            [p.value for p in points],
            [p.commit[:10] or p.created for p in points],
            sig_level=args.sig_level,
            permutations=args.permutations,
            rng=np.random.default_rng(args.seed),
        )
        for c in changes:
            found += 1
            print(
                f"{rid}: {c.relative_change:+.1%} at {c.label} ({points[c.index].created}): "
                f"{c.before_mean:.6g} -> {c.after_mean:.6g}, p={c.p_value:.3f}"
            )
    if not found:
        print(
            f"no change point in {len(ids)} result(s) over {len(runs)} run(s) of machine {machine}"
        )
    return 0
