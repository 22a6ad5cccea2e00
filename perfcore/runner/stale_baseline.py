"""A stale baseline: re-measure its commit here, in turns with the working tree.

A stored baseline is a commit; its numbers are only a cache of that commit timed on this
machine. When the machine-shift guard finds that the host's speed moved since they were
recorded (every timed result faster or slower together, beyond what calibration saw),
the numbers no longer describe this host, and judging against them would judge the host.
The main job then re-runs the baseline's commit in a temporary git worktree, in paired
rounds taken in turns with the working tree (the machinery of ``gate --against``: both
sides meet the same host, seconds apart), judges on those rounds, and refreshes the
stored numbers from the re-measured commit, so the next run is judged quickly again.

Why the guard refuses only a host that moved as a whole: a code change slows the
benchmarks whose code it touches; a host moves them all. A busy host does neither
cleanly (some benchmarks are hit and others not), which is the disturbance rule's
business (:mod:`perfcore.analysis.disturbed`), not this module's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from perfcore.analysis.compare import GateDecision, SuiteComparison
from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.config import Settings
from perfcore.results.baselines import BaselineStore
from perfcore.results.model import ResultSet, RunInfo, utc_now_iso
from perfcore.results.noise_store import load_paired_noise, paired_noise_path

__all__ = [
    "Remeasured",
    "commit_problem",
    "judge_remeasured",
    "paired_judging",
    "refresh_baseline",
    "remeasure_commit",
    "scale_timed",
]

# Most rounds of the (sequential) re-measurement, and fresh rounds of its second stage.
REMEASURE_MAX_ROUNDS = 8
REMEASURE_CONFIRM_ROUNDS = 3


@dataclass(frozen=True)
class Remeasured:
    """The baseline's commit and the working tree, timed in paired rounds here."""

    commit: str
    reference: ResultSet
    working: ResultSet
    again: tuple[ResultSet, ResultSet] | None


def commit_problem(root: Path, baseline: ResultSet) -> str:
    """Why the baseline's commit cannot be re-measured here ("" when it can)."""
    commit = baseline.run.commit
    if not commit.id:
        return "the stored baseline names no commit to re-measure"
    if commit.dirty:
        return f"the stored baseline was recorded from a modified tree at {commit.id[:10]}"
    try:
        done = subprocess.run(
            ["git", "cat-file", "-e", f"{commit.id}^{{commit}}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"git cannot be run here ({exc})"
    if done.returncode != 0:
        return (
            f"the baseline's commit {commit.id[:10]} is not in this clone "
            "(a shallow clone? fetch it with 'git fetch --unshallow')"
        )
    return ""


def scale_timed(results: ResultSet, factor: float) -> ResultSet:
    """``results`` with every timed result (unit ``s``) that holds raw samples scaled by
    ``factor``; ratios, counts and summary-only results unchanged."""
    scaled = tuple(
        replace(r, samples=tuple(v * factor for v in r.samples))
        if r.unit == "s" and r.samples and r.extra.get("samples_from") != "summary"
        else r
        for r in results.results
    )
    return ResultSet(run=results.run, results=scaled)


def paired_judging(settings: Settings, machine_id: str) -> JudgeSettings:
    """How paired rounds are judged on this machine: its learnt paired-round noise."""
    path = paired_noise_path(settings.resolve(settings.baselines_dir), machine_id)
    prior = dict(load_paired_noise(path, machine_id).benchmarks)
    return JudgeSettings.from_settings(
        settings, paired=True, paired_prior=prior, noise_source=str(path) if prior else None
    )


def remeasure_commit(
    commit: str,
    root: Path,
    *,
    quick: bool,
    judging: JudgeSettings,
    say: Callable[[str], None],
    nodes: tuple[str, ...] = (),
) -> Remeasured:
    """Run the suite (or only ``nodes``) at ``commit`` and in the working tree at ``root``
    in sequential paired rounds taken in turns."""
    from perfcore.runner.pr_gate import run_against
    from perfcore.runner.rounds import ABRounds

    plan = ABRounds(
        ref=commit,
        rounds=REMEASURE_MAX_ROUNDS,
        max_rounds=REMEASURE_MAX_ROUNDS,
        quick=quick,
        confirm_rounds=REMEASURE_CONFIRM_ROUNDS,
        select={"A": nodes, "B": nodes} if nodes else {},
    )
    what = f"{len(nodes)} benchmark(s)" if nodes else "the suite"
    say(
        f"baseline: re-measuring {what} at {commit[:10]} here, in up to {plan.max_rounds} "
        "sequential rounds taken in turns with the working tree"
    )
    run = run_against(plan, judging, root, sequential=True)
    return Remeasured(commit, run.reference, run.working, run.again)


def judge_remeasured(
    done: Remeasured, judging: JudgeSettings
) -> tuple[SuiteComparison, GateDecision]:
    """The verdicts of the working tree against the re-measured commit."""
    return judge(done.reference, done.working, judging, fresh=done.again)


def refresh_baseline(store: BaselineStore, stale: ResultSet, done: Remeasured) -> Path:
    """Store the re-measured commit as this machine's baseline (the stale one archived).

    Results the rounds do not time (the load test's) are kept from the stale baseline:
    they are the only numbers of that commit there are.
    """
    timed = tuple(
        replace(r, extra={k: v for k, v in r.extra.items() if k != "turns"})
        for r in done.reference.results
    )
    ids = {r.id for r in timed}
    kept = tuple(r for r in stale.results if r.id not in ids)
    # The stale baseline's machine and commit, timed now.
    run = RunInfo(created=utc_now_iso(), machine=stale.run.machine, commit=stale.run.commit)
    return store.save(ResultSet(run=run, results=(*timed, *kept)))
