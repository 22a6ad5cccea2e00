"""``gate --against REF``'s work: which benchmarks to run, the rounds, the learnt noise.

The command parses its options into an :class:`~perfcore.runner.rounds.ABRounds` plan
and :class:`~perfcore.analysis.judge.JudgeSettings`; this module selects the
benchmarks the change can reach, runs the rounds with the judge's screen for the
second stage, and folds each run's paired-round spread into the machine's pool.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from perfcore.analysis.compare import SuiteComparison, paired_spread, screen_slower
from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.analysis.noise import pool_spread
from perfcore.errors import ComparisonError
from perfcore.results.environment import current_machine
from perfcore.results.model import ResultSet, utc_now_iso
from perfcore.results.noise_store import (
    PairedNoise,
    load_paired_noise,
    paired_noise_path,
    save_paired_noise,
)
from perfcore.runner.rounds import ABRounds, ABRun, run_ab_rounds
from perfcore.runner.selection import Selection, changed_code, load_map, select, suite_digest

__all__ = ["learn", "load_prior", "paired_noise_file", "run_against", "selected_nodes"]


def paired_noise_file(
    given: Path | None, baselines_dir: Path, interleave: str, *, passes: int = 1
) -> Path:
    """``given``, else this machine's learnt paired-round noise for ``interleave``
    (rounds of 1/P of the samples are noisier: their spread is learnt in a file of its
    own, ``paired-noise-passesP.json``)."""
    if given is not None:
        return given
    path = paired_noise_path(baselines_dir, current_machine().id, interleave)
    return path.with_name(f"{path.stem}-passes{passes}.json") if passes > 1 else path


def load_prior(path: Path) -> PairedNoise:
    """This machine's learnt paired-round noise at ``path`` (empty when there is none)."""
    return load_paired_noise(path, current_machine().id)


def selected_nodes(
    root: Path, ref: str, bench_dir: str, coverage_map: Path
) -> tuple[tuple[str, ...], Selection]:
    """The benchmarks a change since ``ref`` can reach (empty: all) and the selection,
    whose ``reason`` the command says; ComparisonError when none is reached."""
    cov = load_map(coverage_map) if coverage_map.is_file() else None
    chosen = select(changed_code(root, ref), cov, suite_digest(root, bench_dir))
    if chosen.nodes is None:
        return (), chosen
    if not chosen.nodes:
        raise ComparisonError(
            f"no benchmark executes code changed since {ref}: "
            "nothing to measure (pass --all to run every benchmark)"
        )
    return chosen.nodes, chosen


def run_against(
    plan: ABRounds, judging: JudgeSettings, root: Path, *, sequential: bool = False
) -> ABRun:
    """Run ``plan``'s rounds at REF and in ``root``; the second stage re-measures what
    the first rounds, judged with ``judging``, look slower on. ``sequential``: the first
    stage stops measuring what each look decides (``plan.min_rounds`` to
    ``plan.max_rounds``; :mod:`perfcore.runner.sequential_rounds`)."""

    def screen(reference: ResultSet, working: ResultSet) -> list[str]:
        return screen_slower(judge(reference, working, judging)[0])

    first = None
    if sequential:
        from perfcore.runner.sequential_rounds import make_look, stage

        def judged(r: ResultSet, w: ResultSet, level: float) -> SuiteComparison:
            return judge(r, w, replace(judging, alpha=level))[0]

        first = stage(make_look(judged, judging.alpha, plan.min_rounds, plan.max_rounds))
    return run_ab_rounds(plan, root, screen=screen, first=first)


def learn(baseline: ResultSet, current: ResultSet, path: Path) -> int:
    """Fold this run's paired-round spread into the pool at ``path`` (any verdict
    teaches); the number of benchmarks learnt."""
    observed = paired_spread(baseline, current)
    pool = load_prior(path)
    save_paired_noise(
        path, PairedNoise(pool.machine, utc_now_iso(), pool_spread(pool.benchmarks, observed))
    )
    return len(observed)
