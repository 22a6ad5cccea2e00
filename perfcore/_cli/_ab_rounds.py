"""Interleaved A/B rounds for ``perfcore gate --against REF``.

The benchmark suite runs in a temporary git worktree of REF (A) and in the working
tree (B), alternating on this machine in ABBA order (A B, B A, A B, ...) so that a
slow drift of the machine weighs on both sides alike. Each pytest-benchmark run is
one round; a side's rounds are merged, so the round is the unit of replication.
``keep`` names a directory that receives every round's pytest-benchmark JSON
(``A-00.json``, ``B-00.json``, ...; A is REF), for later study or re-judging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from perfcore.errors import InputError
from perfcore.results.model import ResultSet
from perfcore.results.readers import merge_runs, read_any

__all__ = ["QUICK_OPTIONS", "ABRounds", "read_kept_rounds", "run_ab_rounds"]

# ``quick`` rounds: bench/conftest.py's quick profile (3-5 samples a benchmark). Measured
# on the 2-core machine, a quick round's median moves 3-25% from round to round (against
# 0.2-3% for most benchmarks in a full round): three samples do not make a robust
# median, so full rounds are the default and buy more power per minute.
QUICK_OPTIONS = ("--benchmark-max-time=0.1", "--benchmark-min-rounds=5",
                 "--benchmark-warmup=on", "--benchmark-warmup-iterations=100")

QUICK_ENV = "PERFCORE_BENCH_QUICK"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class ABRounds:
    """What to run: the reference, rounds per side, the suite and extra pytest options."""

    ref: str
    rounds: int = 5
    bench_dir: str = "bench"
    bench_args: tuple[str, ...] = ()
    keep: Path | None = None
    quick: bool = False


def _git(args: Sequence[str], cwd: Path, runner: Runner) -> str:
    done = runner(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                  timeout=120)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return str(done.stdout).strip()


def _bench_once(tree: Path, out: Path, plan: ABRounds, runner: Runner) -> ResultSet:
    argv = [sys.executable, "-m", "pytest", plan.bench_dir, "--benchmark-only",
            f"--benchmark-json={out}", "-q", "-p", "no:cacheprovider",
            *(QUICK_OPTIONS if plan.quick else ()), *plan.bench_args]
    # The tree's own sources must win over an installed perfcore.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tree), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    if plan.quick:
        env.setdefault(QUICK_ENV, "1")  # bench/conftest.py's quick profile
    else:
        env.pop(QUICK_ENV, None)
    done = runner(argv, cwd=tree, capture_output=True, text=True, check=False, env=env,
                  timeout=3600)
    if done.returncode != 0 or not out.is_file():
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise InputError(f"benchmark run in {tree} failed (exit {done.returncode}): {tail[0]}")
    return read_any(out)


def run_ab_rounds(plan: ABRounds, root: Path,
                  runner: Runner = subprocess.run) -> tuple[ResultSet, ResultSet]:
    """Run ``plan`` at REF and in the working tree at ``root``; (REF side, working side)."""
    if plan.rounds < 2:
        raise InputError(f"--rounds must be at least 2 (the round is the unit), got {plan.rounds}")
    top = Path(_git(["rev-parse", "--show-toplevel"], root, runner))
    commit = _git(["rev-parse", "--verify", f"{plan.ref}^{{commit}}"], top, runner)
    scratch = Path(tempfile.mkdtemp(prefix="perfcore-ab-"))
    tree = scratch / "ref"
    try:
        _git(["worktree", "add", "--detach", str(tree), commit], top, runner)
        if plan.keep is not None:
            plan.keep.mkdir(parents=True, exist_ok=True)
        sides: dict[str, list[ResultSet]] = {"A": [], "B": []}
        for i in range(plan.rounds):
            for side in ("AB" if i % 2 == 0 else "BA"):
                where = tree if side == "A" else top
                out = scratch / f"{side}-{i:02d}.json"
                started = time.monotonic()
                sides[side].append(_bench_once(where, out, plan, runner))
                if plan.keep is not None:
                    shutil.copyfile(out, plan.keep / out.name)
                print(f"gate: round {i + 1}/{plan.rounds} side {side} "
                      f"({'ref' if side == 'A' else 'working tree'}) "
                      f"in {time.monotonic() - started:.0f}s", flush=True)
        return merge_runs(sides["A"]), merge_runs(sides["B"])
    finally:
        for cleanup in (["worktree", "remove", "--force", str(tree)], ["worktree", "prune"]):
            runner(["git", *cleanup], cwd=top, capture_output=True, text=True, check=False,
                   timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)


def read_kept_rounds(folder: Path) -> tuple[ResultSet, ResultSet]:
    """The (REF, working tree) sides of one ``--keep-rounds`` folder, rounds labelled."""
    i = 0
    sides: dict[str, list[ResultSet]] = {"A": [], "B": []}
    while all((folder / f"{side}-{i:02d}.json").is_file() for side in "AB"):
        for side in "AB":
            sides[side].append(read_any(folder / f"{side}-{i:02d}.json"))
        i += 1
    if i < 2:
        raise InputError(f"{folder}: fewer than two complete rounds (A-00.json and B-00.json, "
                         "A-01.json and B-01.json, ...)")
    return merge_runs(sides["A"]), merge_runs(sides["B"])
