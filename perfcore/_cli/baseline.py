"""``perfcore baseline save|show``: store this machine's baseline, list stored baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli._options import add_actions

_DEFAULT_RESULTS = "reports/latest/results.json"


DESCRIPTION = "Store a run as this machine's baseline, or list stored baselines."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``baseline`` command and its ``save`` and ``show`` actions."""
    actions = add_actions(parser)
    save = actions.add_parser("save", help="store a results file as its machine's baseline")
    save.add_argument(
        "results",
        nargs="?",
        default=None,
        type=Path,
        help=f"perfcore results file (default: {_DEFAULT_RESULTS})",
    )
    show = actions.add_parser("show", help="list stored baselines")
    for sub, handler in ((save, _save), (show, _show)):
        sub.add_argument(
            "--baselines-dir",
            type=Path,
            default=None,
            help="baseline store (default: [tool.perfcore] baselines_dir)",
        )
        sub.set_defaults(handler=handler)


def _save(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings
    from perfcore.results.baselines import BaselineStore
    from perfcore.results.model import load_results
    from perfcore.results.usable import check_judgeable

    settings = load_settings(baselines_dir=args.baselines_dir)
    source = args.results or settings.resolve(Path(_DEFAULT_RESULTS))
    results = load_results(source)
    check_judgeable(results, f"baseline {source}")  # never store what every later gate refuses
    store = BaselineStore(settings.resolve(settings.baselines_dir))
    replaced = store.has(results.run.machine.id)
    path = store.save(results)
    note = "previous baseline archived" if replaced else "first baseline for this machine"
    print(
        f"saved {len(results.results)} results as the baseline of machine "
        f"{results.run.machine.id} ({results.run.machine.cpu}): {path} ({note})"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings
    from perfcore.results.baselines import BaselineStore

    settings = load_settings(baselines_dir=args.baselines_dir)
    root = settings.resolve(settings.baselines_dir)
    infos = BaselineStore(root).list()
    if not infos:
        print(f"no baselines under {root}")
        return 0
    header = ("machine", "cpu", "cores", "python", "created", "commit", "results", "archived")
    rows = [header] + [
        (
            i.machine.id,
            i.machine.cpu,
            str(i.machine.cores),
            i.machine.python,
            i.created,
            i.commit[:12] or "-",
            str(i.result_count),
            str(i.archived),
        )
        for i in infos
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0
