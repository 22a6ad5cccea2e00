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
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore.config import Settings, load_settings
from perfcore.errors import InputError, ServiceError
from perfcore.results.model import ResultSet

if TYPE_CHECKING:
    from perfcore.analysis.noise import NoiseEstimate


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``calibrate`` command."""
    parser = subparsers.add_parser(
        "calibrate", help="measure benchmark noise and the smallest detectable regression",
        description="Measure noise from repeated no-change runs and write noise.json.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--runs", type=int, default=None, metavar="N",
                        help="run the benchmark suite N times (default 5)")
    source.add_argument("--from", dest="files", nargs="+", type=Path, metavar="FILE",
                        help="result files of repeated runs (one file per run)")
    parser.add_argument("--quick", action="store_true", help="run the suite in quick mode")
    parser.add_argument("--bench-args", default="", metavar="ARGS",
                        help="extra pytest arguments, one quoted string (e.g. '-k cache')")
    parser.add_argument("--bench-dir", type=Path, default=Path("bench"),
                        help="benchmark suite to run (default: bench)")
    parser.add_argument("--baselines-dir", type=Path, default=None,
                        help="where noise.json goes (default: [tool.perfcore] baselines_dir)")
    parser.add_argument("--no-write", action="store_true", help="print only, write nothing")
    parser.add_argument("--save-baseline", action="store_true",
                        help="also store the runs, merged (one round per run), as this "
                             "machine's baseline: its drift then weighs 1/N of one run's")
    parser.set_defaults(handler=_run)


def _run_suite(runs: int, bench_dir: Path, quick: bool, extra: Sequence[str],
               root: Path) -> list[ResultSet]:
    from perfcore.results.readers import read_any

    if runs < 2:
        raise InputError(f"--runs must be at least 2 to measure noise between runs, got {runs}")
    out: list[ResultSet] = []
    with tempfile.TemporaryDirectory(prefix="perfcore-calibrate-") as tmp:
        for i in range(1, runs + 1):
            target = Path(tmp) / f"run-{i}.json"
            argv = [sys.executable, "-m", "pytest", str(bench_dir), "--benchmark-only", "-q",
                    "--benchmark-save-data", f"--benchmark-json={target}",
                    *(["--quick"] if quick else []), *extra]
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
        rows.append((est.result_id, str(est.runs), f"{est.cv_within:.1%}",
                     f"{est.sd_between_log:.2%}", f"{est.mdr:.1%}", f"{est.threshold:.0%}"))
        if est.advice:
            notes.append(f"  {est.result_id}: {est.advice}")
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if notes:
        print("\nadvice (detectable regression above the threshold):")
        print("\n".join(notes))


def calibrate(runs: Sequence[ResultSet], settings: Settings) -> tuple[NoiseEstimate, ...]:
    """Noise estimates of every result seen in at least two of ``runs``."""
    from perfcore.analysis.noise import estimate_suite

    samples: dict[str, list[list[float]]] = {}
    for run in runs:
        for result in run.results:
            if result.samples and min(result.samples) > 0:
                samples.setdefault(result.id, []).append(list(result.samples))
    return estimate_suite(samples, threshold_for=settings.threshold_for, alpha=settings.alpha)


def _run(args: argparse.Namespace) -> int:
    from perfcore.results.environment import current_machine
    from perfcore.results.model import utc_now_iso
    from perfcore.results.noise_file import NoiseModel, noise_path, save_noise
    from perfcore.results.readers import UNKNOWN_MACHINE, read_any

    settings = load_settings(baselines_dir=args.baselines_dir)
    if args.files:
        if len(args.files) < 2:
            raise InputError("--from needs at least two result files (one per run)")
        runs = [read_any(p) for p in args.files]
    else:
        runs = _run_suite(args.runs or 5, args.bench_dir, args.quick,
                          shlex.split(args.bench_args), settings.root)
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
