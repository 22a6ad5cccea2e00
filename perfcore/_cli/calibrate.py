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
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli._flags import int_in
from perfcore.errors import InputError, ServiceError

if TYPE_CHECKING:  # imported where used, so that ``perfcore --help`` stays light
    from perfcore.analysis.noise import NoiseEstimate
    from perfcore.config import Settings
    from perfcore.results.model import Result, ResultSet


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``calibrate`` command."""
    parser = subparsers.add_parser(
        "calibrate",
        help="measure benchmark noise and the smallest detectable regression",
        description="Measure noise from repeated no-change runs and write noise.json.",
    )
    source = parser.add_mutually_exclusive_group()
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


def _run_suite(
    runs: int, bench_dir: Path, quick: bool, extra: Sequence[str], root: Path
) -> list[ResultSet]:
    import subprocess
    import tempfile

    from perfcore.results.readers import read_any

    if runs < 2:
        raise InputError(f"--runs must be at least 2 to measure noise between runs, got {runs}")
    out: list[ResultSet] = []
    with tempfile.TemporaryDirectory(prefix="perfcore-calibrate-") as tmp:
        for i in range(1, runs + 1):
            target = Path(tmp) / f"run-{i}.json"
            argv = [
                sys.executable,
                "-m",
                "pytest",
                str(bench_dir),
                "--benchmark-only",
                "-q",
                "--benchmark-save-data",
                f"--benchmark-json={target}",
                *(["--quick"] if quick else []),
                *extra,
            ]
            print(f"calibrate: run {i}/{runs}: {shlex.join(argv[1:])}", file=sys.stderr)
            done = subprocess.run(argv, cwd=root, check=False)
            if done.returncode != 0:
                raise ServiceError(f"benchmark run {i} failed with exit status {done.returncode}")
            out.append(read_any(target))
    return out


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


def calibrate(runs: Sequence[ResultSet], settings: Settings) -> tuple[NoiseEstimate, ...]:
    """Noise estimates of every result seen in at least two of ``runs``.

    A run made of passes (``perfcore run --passes``, samples labelled by
    ``extra["rounds"]``) gives one unit per pass: the noise learnt is that of one
    pass, which is what the comparison divides by the number of passes.
    """
    from perfcore.analysis.noise import estimate_suite

    samples: dict[str, list[list[float]]] = {}
    for run in runs:
        for result in run.results:
            if result.samples and min(result.samples) > 0:
                samples.setdefault(result.id, []).extend(_units(result))
    return estimate_suite(samples, threshold_for=settings.threshold_for, alpha=settings.alpha)


def _units(result: Result) -> list[list[float]]:
    labels = result.extra.get("rounds")
    if not isinstance(labels, list) or len(labels) != len(result.samples):
        return [list(result.samples)]
    groups: dict[object, list[float]] = {}
    for label, value in zip(labels, result.samples, strict=True):
        groups.setdefault(label, []).append(value)
    return list(groups.values())


def _run(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings
    from perfcore.results.environment import current_machine
    from perfcore.results.model import utc_now_iso
    from perfcore.results.noise_file import NoiseModel, noise_path, save_noise
    from perfcore.results.readers import UNKNOWN_MACHINE, read_any

    settings = load_settings(baselines_dir=args.baselines_dir)
    if args.round_dirs:
        return _paired(args, settings)
    if args.files:
        if len(args.files) < 2:
            raise InputError("--from needs at least two result files (one per run)")
        runs = [read_any(p) for p in args.files]
    else:
        runs = _run_suite(
            5 if args.runs is None else args.runs,
            args.bench_dir,
            args.quick,
            shlex.split(args.bench_args),
            settings.root,
        )
    estimates = calibrate(runs, settings)
    if not estimates:
        raise InputError("no benchmark appears in two or more runs with positive samples")
    _print_table(estimates)
    machines = {r.run.machine.id for r in runs} - {UNKNOWN_MACHINE.id}
    if len(machines) > 1:
        raise InputError(f"runs come from different machines: {', '.join(sorted(machines))}")
    machine = machines.pop() if machines else current_machine().id
    if not args.no_write:
        model = NoiseModel.from_estimates(machine, utc_now_iso(), estimates)
        path = noise_path(settings.resolve(settings.baselines_dir), machine)
        save_noise(path, model)
        print(f"\nwrote {path}")
    if args.save_baseline and not args.no_write:
        from perfcore.results.baselines import BaselineStore
        from perfcore.results.readers import merge_runs

        stored = BaselineStore(settings.resolve(settings.baselines_dir)).save(merge_runs(runs))
        print(f"stored the {len(runs)} runs as this machine's baseline: {stored}")
    return 0


# calibrate's assumption for sizing gate --against's second stage: this many results
# re-measured share alpha.
FRESH_PICKED = 5


def _detectable(var: float, df: float, rounds: int, level: float) -> float:
    """The change ``rounds`` paired rounds find with 95% power, one-sided at ``level``,
    their variance moderated by a prior of ``df`` degrees of freedom."""
    import math

    from scipy import stats as sps

    total = df + rounds - 1
    se = math.sqrt(var / rounds)
    return math.expm1((sps.t.ppf(1 - level, total) + sps.t.ppf(0.95, total)) * se)


def _paired(args: argparse.Namespace, settings: Settings) -> int:
    """Learn ``paired-noise.json`` from kept gate rounds and print what it can detect."""
    import math

    from perfcore.analysis.compare import paired_spread
    from perfcore.analysis.noise import pool_spread
    from perfcore.results.model import utc_now_iso
    from perfcore.results.paired_noise import (
        PairedNoise,
        load_paired_noise,
        paired_noise_path,
        save_paired_noise,
    )
    from perfcore.runner.rounds import kept_interleave, read_kept_rounds

    machine = ""
    pool: PairedNoise | None = None
    modes = {kept_interleave(folder) for folder in args.round_dirs}
    if len(modes) > 1:
        raise InputError(
            "the folders mix rounds taken in turns with alternating runs; "
            "calibrate each kind on its own"
        )
    mode = modes.pop()
    for folder in args.round_dirs:
        ref, work = read_kept_rounds(folder)
        machine = machine or ref.run.machine.id
        if ref.run.machine.id != machine:
            raise InputError(f"{folder}: measured on machine {ref.run.machine.id}, not {machine}")
        if pool is None:
            path = paired_noise_path(settings.resolve(settings.baselines_dir), machine, mode)
            pool = PairedNoise(machine) if args.no_write else load_paired_noise(path, machine)
        pool = PairedNoise(
            machine, utc_now_iso(), pool_spread(pool.benchmarks, paired_spread(ref, work))
        )
    assert pool is not None
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
            f"{_detectable(var, df, fresh, settings.alpha / picked):.1%}" if fresh > 1 else "-"
        )
        rows.append(
            (
                rid,
                f"{df:.0f}",
                f"{math.sqrt(var):.2%}",
                f"{_detectable(var, df, args.rounds, level / 2):.1%}",
                confirmed,
                f"{settings.threshold_for(rid):.0%}",
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not args.no_write:
        path = paired_noise_path(settings.resolve(settings.baselines_dir), machine, mode)
        save_paired_noise(path, pool)
        print(f"\nwrote {path}")
    return 0
