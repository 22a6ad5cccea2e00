"""``perfcore calibrate``'s work: the suite run N times, noise estimated, paired noise learnt.

The command (``perfcore/_cli/calibrate.py``) parses and prints; this module runs the
suite, estimates and pools. Nothing here prints but the one line per suite run.
"""

from __future__ import annotations

import math
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perfcore.analysis.compare import paired_spread
from perfcore.analysis.noise import NoiseEstimate, estimate_suite, pool_spread
from perfcore.config import Settings
from perfcore.errors import InputError, ServiceError
from perfcore.results.model import Result, ResultSet, utc_now_iso
from perfcore.results.noise_store import PairedNoise, load_paired_noise, paired_noise_path
from perfcore.results.readers import read_any
from perfcore.runner.rounds import kept_interleave, read_kept_rounds
from perfcore.runner.suite import SuiteProfile, suite_command

__all__ = [
    "FRESH_PICKED",
    "PairedLearnt",
    "calibrate",
    "detectable",
    "learn_paired",
    "machine_of",
    "run_suite_times",
    "save_runs_as_baseline",
    "write_noise",
]

# calibrate's assumption for sizing gate --against's second stage: this many results
# re-measured share alpha.
FRESH_PICKED = 5


def run_suite_times(
    runs: int, bench_dir: Path, profile: SuiteProfile, extra: Sequence[str], root: Path
) -> list[ResultSet]:
    """Run the suite ``runs`` times, one process after the other; each run's results."""
    if runs < 2:
        raise InputError(f"--runs must be at least 2 to measure noise between runs, got {runs}")
    out: list[ResultSet] = []
    with tempfile.TemporaryDirectory(prefix="perfcore-calibrate-") as tmp:
        for i in range(1, runs + 1):
            target = Path(tmp) / f"run-{i}.json"
            command = suite_command(root, (str(bench_dir),), target, profile, extra=extra)
            print(
                f"calibrate: run {i}/{runs}: {shlex.join(command.argv[1:])}",
                file=sys.stderr,
                flush=True,
            )
            done = subprocess.run(command.argv, cwd=root, env=dict(command.env), check=False)
            if done.returncode != 0:
                raise ServiceError(f"benchmark run {i} failed with exit status {done.returncode}")
            out.append(read_any(target))
    return out


def calibrate(runs: Sequence[ResultSet], settings: Settings) -> tuple[NoiseEstimate, ...]:
    """Noise estimates of every result seen in at least two of ``runs``.

    A run made of passes (``perfcore run --passes``, samples labelled by
    ``extra["rounds"]``) gives one unit per pass: the noise learnt is that of one
    pass, which is what the comparison divides by the number of passes.
    """
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


def detectable(var: float, df: float, rounds: int, level: float) -> float:
    """The change ``rounds`` paired rounds find with 95% power, one-sided at ``level``,
    their variance moderated by a prior of ``df`` degrees of freedom."""
    from scipy import stats as sps

    total = df + rounds - 1
    se = math.sqrt(var / rounds)
    return math.expm1((sps.t.ppf(1 - level, total) + sps.t.ppf(0.95, total)) * se)


@dataclass(frozen=True)
class PairedLearnt:
    """The pooled paired-round noise and the file it belongs in."""

    pool: PairedNoise
    path: Path


def learn_paired(folders: Sequence[Path], settings: Settings, *, fresh: bool) -> PairedLearnt:
    """Pool the paired-round spread of kept gate rounds (``--keep-rounds`` folders) into
    the machine's ``paired-noise.json`` (into an empty pool when ``fresh``)."""
    modes = {kept_interleave(folder) for folder in folders}
    if len(modes) > 1:
        raise InputError(
            "the folders mix rounds taken in turns with alternating runs; "
            "calibrate each kind on its own"
        )
    mode = modes.pop()
    machine = ""
    pool: PairedNoise | None = None
    path = Path()
    for folder in folders:
        ref, work = read_kept_rounds(folder)
        machine = machine or ref.run.machine.id
        if ref.run.machine.id != machine:
            raise InputError(f"{folder}: measured on machine {ref.run.machine.id}, not {machine}")
        if pool is None:
            path = paired_noise_path(settings.resolve(settings.baselines_dir), machine, mode)
            pool = PairedNoise(machine) if fresh else load_paired_noise(path, machine)
        pool = PairedNoise(
            machine, utc_now_iso(), pool_spread(pool.benchmarks, paired_spread(ref, work))
        )
    if pool is None:
        raise InputError("--paired-from needs at least one folder")
    return PairedLearnt(pool, path)


def machine_of(runs: Sequence[ResultSet]) -> str:
    """The one machine the runs were measured on (this one when none says);
    InputError when they name two: one noise file is one machine's."""
    from perfcore.results.environment import current_machine
    from perfcore.results.readers import UNKNOWN_MACHINE

    machines = {r.run.machine.id for r in runs} - {UNKNOWN_MACHINE.id}
    if len(machines) > 1:
        raise InputError(f"runs come from different machines: {', '.join(sorted(machines))}")
    return machines.pop() if machines else current_machine().id


def write_noise(machine: str, estimates: Sequence[NoiseEstimate], settings: Settings) -> Path:
    """Save the estimates as ``machine``'s ``noise.json``; its path."""
    from perfcore.results.noise_store import NoiseModel, noise_path, save_noise

    model = NoiseModel.from_estimates(machine, utc_now_iso(), tuple(estimates))
    path = noise_path(settings.resolve(settings.baselines_dir), machine)
    save_noise(path, model)
    return path


def save_runs_as_baseline(runs: Sequence[ResultSet], settings: Settings) -> Path:
    """Store the runs, merged (one round per run), as their machine's baseline."""
    from perfcore.results.baselines import BaselineStore
    from perfcore.results.readers import merge_runs

    return BaselineStore(settings.resolve(settings.baselines_dir)).save(merge_runs(runs))
