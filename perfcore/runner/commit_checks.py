"""The main job's checks of stored numbers against their commit timed here.

A stored baseline is a commit; its numbers are a cache of that commit on this host, and
a host of the same name drifts. :func:`verify_at_commit` makes a regression against
stored numbers stand only where it shows against the commit re-measured here in paired
rounds; :func:`shift_adjusted` judges stale numbers with the host's common shift taken
out and checks what still regresses the same way.
"""

from __future__ import annotations

from dataclasses import replace

from perfcore.analysis.compare import GateDecision, SuiteComparison, decide_gate, suite_shift
from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.errors import PerfcoreError
from perfcore.report.run_summary import counts_text
from perfcore.results.model import ResultSet
from perfcore.results.noise_store import noise_path
from perfcore.runner.job_stages import JobSettings, Progress, Stages
from perfcore.runner.stale_baseline import (
    commit_problem,
    judge_remeasured,
    paired_judging,
    scale_timed,
)
from perfcore.runner.stored import with_noise_file

__all__ = ["shift_adjusted", "stored_judging", "verify_at_commit"]


def stored_judging(job: JobSettings, current: ResultSet) -> JudgeSettings:
    """The stored baseline's judging, with this machine's calibrated between-run noise
    (``perfcore calibrate``) when there is one."""
    judging = JudgeSettings.from_settings(job.settings)
    noise = noise_path(job.settings.resolve(job.settings.baselines_dir), current.run.machine.id)
    return with_noise_file(judging, noise) if noise.is_file() else judging


def shift_adjusted(
    job: JobSettings, stages: Stages, sides: tuple[ResultSet, ResultSet], progress: Progress
) -> tuple[SuiteComparison, GateDecision, ResultSet, str]:
    """Judge with the host's common shift removed, then check regressions at the commit.

    A host that got faster or slower moves every timed result by about one factor; a
    code change moves the benchmarks whose code it touches. So the stale baseline's
    timed results are scaled by the suite's common shift (the median ratio, as the guard
    measured it) and judged again; ratios of timings are left as they are (the host's
    speed cancels in them, its other changes do not). What regresses then is only a
    candidate: :func:`_verify_at_commit` re-measures it at the baseline's commit here in
    paired rounds, and only what regresses there too fails the job.
    """
    stale, current = sides
    shift = suite_shift(judge(stale, current, stored_judging(job, current))[0])
    factor = 1.0 + (shift.shift if shift is not None else 0.0)
    scaled = scale_timed(stale, factor)
    judging = replace(stored_judging(job, current), shift_guard=False)
    judged = judge(scaled, current, judging)
    progress(
        f"baseline: judged with the host's common shift ({factor - 1:+.1%}) taken out: "
        f"{counts_text(judged[0])}"
    )
    suite, decision, checked = judged[0], judged[1], ""
    if decision.exit_code == 1:
        suite, decision, checked = verify_at_commit(job, stages, judged, (stale, current), progress)
    note = f"stored numbers stale: host moved {factor - 1:+.1%}, judged with that shift removed"
    return suite, decision, scaled, f"{note}; {checked}" if checked else note


def verify_at_commit(
    job: JobSettings,
    stages: Stages,
    judged: tuple[SuiteComparison, GateDecision],
    sides: tuple[ResultSet, ResultSet],
    progress: Progress,
) -> tuple[SuiteComparison, GateDecision, str]:
    """A regression against stored numbers must also show against their commit timed here.

    The stored numbers are a cache of the baseline's commit on this host, and a host of
    the same name drifts (a ratio of two timings moved 1.5x between two weeks here with
    no code change). So each confirmed regression's benchmark is re-measured at the
    baseline's commit in paired rounds taken in turns; a regression stands only where
    those rounds regress too (an intersection of two tests: no false alarm is added).
    Where the commit cannot be re-measured, the stored verdict stands and is said so.
    """
    suite, decision = judged
    baseline, current = sides
    measured = current.by_id()
    regressed = [c.id for c in suite.regressions()]
    nodes = tuple(sorted({str(measured[i].extra.get("node")) for i in regressed} - {"None"}))
    problem = "" if nodes else "no pytest node ids"
    problem = problem or commit_problem(job.settings.root, baseline)
    if problem:
        progress(f"verify: regressions against stored numbers stand ({problem})")
        return suite, decision, ""
    commit = baseline.run.commit.id
    progress(
        f"verify: {len(regressed)} regression(s) against stored numbers; "
        f"checking them at {commit[:10]}"
    )
    judging = paired_judging(job.settings, baseline.run.machine.id)
    try:
        done = stages.remeasure(commit, replace(job, nodes=nodes), judging, progress)
    except PerfcoreError as err:
        progress(f"verify: could not re-measure {commit[:10]} ({err}); the stored verdicts stand")
        return suite, decision, ""
    again = judge_remeasured(done, judging)[0].by_id()
    # Only a comparison the commit's rounds could make replaces a regression: a result
    # that tree lacks ('new' there) must not erase it.
    checked = {i: c for i, c in again.items() if c.verdict not in ("new", "missing")}
    kept = tuple(checked.get(c.id, c) if c.verdict == "regressed" else c for c in suite.comparisons)
    suite = replace(suite, comparisons=kept)
    missing_fails = any(r.startswith("missing from current") for r in decision.reasons)
    decision = decide_gate(suite, allow_missing=not missing_fails)
    progress(f"verify: {len(suite.regressions())} regression(s) also at {commit[:10]} timed here")
    return suite, decision, f"regressions checked against {commit[:10]} re-measured here in turns"
