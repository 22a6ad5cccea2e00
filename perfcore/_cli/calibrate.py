"""``perfcore calibrate``: measure this machine's noise from repeated no-change runs.

Either runs the pytest-benchmark suite ``--runs`` times, or reads result files
given with ``--from`` (one file per run). With ``--save-baseline`` the same runs, merged
with one round per run, become this machine's baseline, so a later single run is
judged against a baseline whose own drift is averaged over N runs. Prints each
benchmark's within-run CV,
between-run SD, and the smallest regression one run against one can detect at the
configured false-alarm rate with 95% power, and writes
``<baselines_dir>/<machine>/noise.json`` for the gate.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli._flags import int_in
from perfcore.errors import InputError

if TYPE_CHECKING:  # imported where used, so that ``perfcore --help`` stays light
    from perfcore.analysis.noise import NoiseEstimate
    from perfcore.config import Settings


DESCRIPTION = "Measure noise from repeated no-change runs and write noise.json."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``calibrate`` command."""
    _source_flags(parser.add_mutually_exclusive_group())
    parser.add_argument(
        "--rounds",
        type=int_in(2, 10_000),
        default=5,
        help="with --paired-from: rounds per side to size the detectable change for (default 5)",
    )
    parser.add_argument(
        "--confirm-rounds",
        type=int_in(0, 10_000),
        default=5,
        metavar="K",
        help="with --paired-from: gate --against's fresh rounds, to size what "
        "its second stage confirms (default 5)",
    )
    _suite_flags(parser.add_argument_group("running the suite (--runs)"))
    parser.add_argument(
        "--baselines-dir",
        type=Path,
        default=None,
        help="where noise.json goes (default: [tool.perfcore] baselines_dir)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write nothing")
    parser.add_argument(
        "--save-baseline",
        action="store_true",
        help="also store the runs, merged (one round per run), as this "
        "machine's baseline: its drift then weighs 1/N of one run's",
    )
    parser.set_defaults(handler=_run)


def _source_flags(source: argparse._MutuallyExclusiveGroup) -> None:
    """Where the runs come from: run the suite, result files, or kept gate rounds."""
    source.add_argument(
        "--runs",
        type=int_in(2, 1000),
        default=None,
        metavar="N",
        help="run the benchmark suite N times (default 5)",
    )
    source.add_argument(
        "--from",
        dest="files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="result files of repeated runs (one file per run)",
    )
    source.add_argument(
        "--paired-from",
        dest="round_dirs",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="folders kept by gate --against --keep-rounds: "
        "learn the paired-round noise gate --against judges with",
    )


def _suite_flags(parser: argparse._ArgumentGroup) -> None:
    """How ``--runs`` runs the suite."""
    parser.add_argument("--quick", action="store_true", help="run the suite in quick mode")
    parser.add_argument(
        "--bench-args",
        default="",
        metavar="ARGS",
        help="extra pytest arguments, one quoted string (e.g. '-k cache')",
    )
    parser.add_argument(
        "--bench-dir",
        type=Path,
        default=Path("bench"),
        help="benchmark suite to run (default: bench)",
    )


def _print_table(estimates: Sequence[NoiseEstimate]) -> None:
    rows = [("benchmark", "runs", "CV within", "SD between", "detectable", "threshold")]
    notes = []
    for est in estimates:
        rows.append(
            (
                est.result_id,
                str(est.runs),
                f"{est.cv_within:.1%}",
                f"{est.sd_between_log:.2%}",
                f"{est.mdr:.1%}",
                f"{est.threshold:.0%}",
            )
        )
        if est.advice:
            notes.append(f"  {est.result_id}: {est.advice}")
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if notes:
        print("\nadvice (detectable regression above the threshold):")
        print("\n".join(notes))


def _run(args: argparse.Namespace) -> int:
    import shlex

    from perfcore.config import load_settings
    from perfcore.results.readers import read_any
    from perfcore.runner import calibration
    from perfcore.runner.suite import SuiteProfile

    settings = load_settings(baselines_dir=args.baselines_dir)
    if args.round_dirs:
        return _paired(args, settings)
    if args.files:
        if len(args.files) < 2:
            raise InputError("--from needs at least two result files (one per run)")
        runs = [read_any(p) for p in args.files]
    else:
        runs = calibration.run_suite_times(
            5 if args.runs is None else args.runs,
            args.bench_dir,
            SuiteProfile(quick=args.quick),
            shlex.split(args.bench_args),
            settings.root,
        )
    estimates = calibration.calibrate(runs, settings)
    if not estimates:
        raise InputError("no benchmark appears in two or more runs with positive samples")
    _print_table(estimates)
    machine = calibration.machine_of(runs)
    if not args.no_write:
        print(f"\nwrote {calibration.write_noise(machine, estimates, settings)}")
    if args.save_baseline and not args.no_write:
        stored = calibration.save_runs_as_baseline(runs, settings)
        print(f"stored the {len(runs)} runs as this machine's baseline: {stored}")
    return 0


def _paired(args: argparse.Namespace, settings: Settings) -> int:
    """Learn ``paired-noise.json`` from kept gate rounds and print what it can detect."""
    import math

    from perfcore.results.noise_store import save_paired_noise
    from perfcore.runner.calibration import FRESH_PICKED, detectable, learn_paired

    learnt = learn_paired(args.round_dirs, settings, fresh=args.no_write)
    pool = learnt.pool
    level = settings.alpha / max(len(pool.benchmarks), 1)
    fresh = args.confirm_rounds
    picked = min(FRESH_PICKED, max(len(pool.benchmarks), 1))
    print(
        f"paired rounds: SD of a round's log difference; the change {args.rounds} rounds "
        f"a side detect with 95% power at Holm's strictest level ({level:.2g}); and the "
        f"change {fresh} fresh rounds confirm with 95% power, one-sided, {picked} results "
        f"re-measured (alpha / {picked}; the first rounds' own spread not counted)"
    )
    rows = [("benchmark", "df", "SD", "detectable", "confirmed", "threshold")]
    for rid, (var, df) in sorted(pool.benchmarks.items()):
        confirmed = (
            f"{detectable(var, df, fresh, settings.alpha / picked):.1%}" if fresh > 1 else "-"
        )
        rows.append(
            (
                rid,
                f"{df:.0f}",
                f"{math.sqrt(var):.2%}",
                f"{detectable(var, df, args.rounds, level / 2):.1%}",
                confirmed,
                f"{settings.threshold_for(rid):.0%}",
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not args.no_write:
        save_paired_noise(learnt.path, pool)
        print(f"\nwrote {learnt.path}")
    return 0
