"""The main job: benchmarks, a short load test, verdicts against this machine's baseline, report.

``perfcore run`` (and ``nox -s bench``) call :func:`run_main_job`. Stages, in order:

1. the pytest-benchmark suite (``bench/``) in ``passes`` child processes one after the
   other, each timing a share of the rounds, JSON kept raw, merged with a label per pass;
2. a short local-vs-cloud load test (skipped with ``load=False``);
3. both merged into ``<out>/results.json`` (one perfcore run of this machine);
4. compared with this machine's stored baseline; when there is none, the run is
   recorded as the first baseline and the job says so (nothing is judged then); what
   looks slower is re-run and decided on both runs together (:func:`_confirm`);
5. appended to the machine's history; claims judged; the report rendered.

The heavy stages are fields of :class:`Stages`, so tests inject fakes. Progress goes
to ``stream`` (stderr) as one line per stage with the elapsed time; the job ends with
one line, the verdict and the report's path.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from perfcore.analysis.claims import judge_claims
from perfcore.analysis.compare import (
    Comparison,
    GateDecision,
    SuiteComparison,
    compare_suites,
    screen_regressions,
)
from perfcore.analysis.judge import judge
from perfcore.report import build_report_data
from perfcore.report.build import history_change_points
from perfcore.report.run_summary import claims_text, counts_text, verdict_line
from perfcore.results.baselines import BaselineStore
from perfcore.results.claims_file import Claim, load_claims
from perfcore.results.environment import current_machine, new_run_info
from perfcore.results.history import append_run, load_history
from perfcore.results.model import ResultSet
from perfcore.runner.commit_checks import shift_adjusted, stored_judging, verify_at_commit
from perfcore.runner.job_stages import (
    JobSettings,
    Progress,
    Stages,
)
from perfcore.runner.stale_baseline import (
    commit_problem,
    judge_remeasured,
    paired_judging,
    refresh_baseline,
)

__all__ = ["JobOutcome", "JobSettings", "Progress", "Stages", "run_main_job"]

ASV_SITE = Path(".asv/html/index.html")
# How long the confirmation stage waits for a busy machine to quiet before re-measuring.
QUIET_WAIT_S = 60.0


@dataclass(frozen=True)
class JobOutcome:
    """What the job decided and where it wrote."""

    exit_code: int
    verdict_line: str
    report: Path
    results: Path
    first_baseline: bool
    decision: GateDecision


def _baseline(
    job: JobSettings, current: ResultSet, progress: Progress
) -> tuple[ResultSet | None, bool]:
    """This machine's baseline (None when there is none) and whether ``current`` became it."""
    store = BaselineStore(job.settings.resolve(job.settings.baselines_dir))
    machine = current.run.machine
    if not store.has(machine.id):
        if job.partial:
            progress(f"baseline: none for machine {machine.id}; a partial run is not recorded")
            return None, False
        path = store.save(current)
        progress(
            f"baseline: none for machine {machine.id} ({machine.cpu}); "
            f"recorded this run as its first baseline: {path}"
        )
        return None, True
    baseline = store.load(machine.id)
    if job.partial or not job.load:
        # A run is judged on what it measured, not on what it was told to skip.
        measured = current.by_id()
        kept = tuple(
            r
            for r in baseline.results
            if r.id in measured or not (job.partial or r.id.startswith("load."))
        )
        baseline = ResultSet(run=baseline.run, results=kept)
    progress(
        f"baseline: machine {machine.id}, recorded {baseline.run.created} "
        f"at {baseline.run.commit.id[:10] or 'no commit'}"
    )
    return baseline, False


def _judge(
    job: JobSettings, current: ResultSet, baseline: ResultSet | None, recorded: bool
) -> tuple[SuiteComparison, GateDecision]:
    if baseline is None:  # nothing to judge: every result is new
        empty = ResultSet(run=current.run, results=())
        suite = compare_suites(empty, current, settings=job.settings)
        if not recorded:
            return suite, GateDecision(False, 2, ("no baseline for this machine to compare with",))
        note = "first baseline recorded for this machine; every result is new, nothing judged"
        return suite, GateDecision(True, 0, (note,))
    return judge(baseline, current, stored_judging(job, current))


def _confirm(
    job: JobSettings,
    stages: Stages,
    judged: tuple[SuiteComparison, GateDecision],
    sides: tuple[ResultSet, ResultSet],
    *,
    out: Path,
    progress: Progress,
) -> tuple[SuiteComparison, GateDecision]:
    """The second stage: re-run what looks slower, decide on both runs together.

    Results that looked slower on a busy machine (``disturbed``) are re-run too, once the
    machine is quieter: measured quietly, the quiet measurement replaces the busy one.

    A benchmark slower than its threshold at a loose level (:func:`screen_regressions`)
    is run again; the first run and the re-run together are then judged at the suite's
    family-wise level, and the re-run alone must be slower too, since a stretch of one
    run slowed by another job looks exactly like a regression of the benchmarks it hit
    (see :func:`perfcore.analysis.compare.confirm_regressions`).
    """
    suite, decision = judged
    baseline, current = sides
    measured = current.by_id()
    busy = [c for c in suite.comparisons if c.verdict == "disturbed"]
    # Disturbed results are re-measured only once the machine has quieted: re-measured
    # beside the same load they would come out disturbed again, after minutes.
    quiet = _wait_for_quiet(busy, progress) if busy else False
    again_ids = {*screen_regressions(suite), *(c.id for c in busy if quiet)}
    nodes = sorted(
        {str(measured[i].extra["node"]) for i in again_ids if measured[i].extra.get("node")}
    )
    if not nodes:
        return suite, decision
    first = len(suite.regressions())
    timed_busy = f", {len(busy)} slower on a busy machine" if busy and quiet else ""
    progress(
        f"confirm: re-running {len(nodes)} benchmark(s) slower than their threshold "
        f"({first} regressed on this run alone{timed_busy}) to decide on two runs"
    )
    (out / "confirm").mkdir(exist_ok=True)
    again = stages.benchmarks(replace(job, nodes=tuple(nodes)), out / "confirm", progress)
    progress(f"confirm: {len(again.results)} result(s) re-measured")
    suite, decision = judge(baseline, current, stored_judging(job, current), rerun=again)
    progress(f"confirm: {len(suite.regressions())} regression(s) on both runs together")
    return suite, decision


def _on_stale(
    job: JobSettings,
    stages: Stages,
    sides: tuple[ResultSet, ResultSet],
    refusal: GateDecision,
    progress: Progress,
) -> tuple[SuiteComparison, GateDecision, ResultSet, str] | None:
    """Judge despite stale stored numbers (None: the baseline's commit cannot be used).

    By default the host's common shift is taken out of the timed results and what still
    regresses is checked at the baseline's commit re-measured here (:func:`_shift_adjusted`);
    with ``remeasure_all`` the whole suite is re-measured at that commit, judged on those
    paired rounds, and the stored numbers refreshed from them. Returns the verdicts, the
    decision, the baseline judged against and the verdict line's note.
    """
    stale = sides[0]
    progress(f"baseline: the stored numbers are stale: {refusal.reasons[0]}")
    problem = "a partial run (-k or node ids)" if job.partial else ""
    problem = problem or commit_problem(job.settings.root, stale)
    if problem:
        progress(f"baseline: cannot re-measure its commit: {problem}")
        return None
    if not job.remeasure_all:
        return shift_adjusted(job, stages, sides, progress)
    commit = stale.run.commit.id
    judging = paired_judging(job.settings, stale.run.machine.id)
    done = stages.remeasure(commit, job, judging, progress)
    suite, decision = judge_remeasured(done, judging)
    store = BaselineStore(job.settings.resolve(job.settings.baselines_dir))
    # The whole stored baseline (a --no-load run filtered its load results out of
    # ``stale``): what the rounds do not time is carried over, not dropped.
    path = refresh_baseline(store, store.load(stale.run.machine.id), done)
    progress(f"baseline: refreshed from {commit[:10]} re-measured here: {path}")
    note = f"judged against {commit[:10]} re-measured here in turns (stored numbers stale)"
    return suite, decision, done.reference, note


def _wait_for_quiet(busy: list[Comparison], progress: Progress) -> bool:
    """Before re-measuring results timed beside foreign load, wait (bounded) for quiet;
    whether it came."""
    from perfcore.analysis.disturbed import BUSY_CORES
    from perfcore.instrument.disturbance import wait_for_quiet

    load = max(c.foreign_cores or 0.0 for c in busy)
    progress(
        f"confirm: {len(busy)} result(s) timed while other processes used {load:.2f} "
        f"cores; waiting up to {QUIET_WAIT_S:.0f} s for the machine to quiet"
    )
    quiet, now = wait_for_quiet(BUSY_CORES, QUIET_WAIT_S)
    progress(
        f"confirm: machine {'quiet' if quiet else 'still busy'} ({now:.2f} cores used by "
        "other processes)"
    )
    return quiet


def _read_claims(job: JobSettings) -> tuple[Claim, ...]:
    path = job.settings.resolve(job.settings.claims_file)
    return load_claims(path) if path.is_file() else ()


def _preflight(job: JobSettings) -> tuple[Claim, ...]:
    """Read the claims and this machine's baseline now: a broken file fails in a second,
    not after minutes of measuring."""
    claims = _read_claims(job)
    store = BaselineStore(job.settings.resolve(job.settings.baselines_dir))
    machine_id = current_machine().id
    if store.has(machine_id):
        store.load(machine_id)
    return claims


def _measure(job: JobSettings, stages: Stages, out: Path, progress: Progress) -> ResultSet:
    mode = job.profile.mode
    passes = job.pass_count
    where = out / "bench.json" if passes == 1 else out / "bench-<pass>.json"
    progress(
        f"benchmarks: running the pytest-benchmark suite ({mode}, {passes} "
        f"pass{'es' if passes > 1 else ''}) -> {where}"
    )
    bench = stages.benchmarks(job, out, progress)
    progress(f"benchmarks: {len(bench.results)} results")
    parts = [bench]
    if job.load:
        progress("load: short local-vs-cloud load test")
        loaded = stages.load(job, out, progress)
        progress(f"load: {len(loaded.results)} results")
        parts.append(loaded)
    else:
        progress("load: skipped (--no-load)")
    results = tuple(r for part in parts for r in part.results)
    current = ResultSet(run=new_run_info("perfcore", cwd=job.settings.root), results=results)
    current.save(out / "results.json")
    progress(f"results: {len(results)} merged into {out / 'results.json'}")
    return current


def run_main_job(
    job: JobSettings, *, stages: Stages | None = None, stream: TextIO | None = None
) -> JobOutcome:
    """Measure, judge against the stored baseline, record history, render the report."""
    stages = stages or Stages()
    progress = Progress(stream or sys.stderr)
    out = job.out
    out.mkdir(parents=True, exist_ok=True)
    claim_specs = _preflight(job)
    current = _measure(job, stages, out, progress)
    baseline, recorded = _baseline(job, current, progress)
    suite, decision = _judge(job, current, baseline, recorded)
    basis = ""
    if baseline is not None and decision.cause == "machine-shift" and job.remeasure:
        # The stored numbers describe another host: re-measure their commit here.
        stale = _on_stale(job, stages, (baseline, current), decision, progress)
        if stale is not None:
            suite, decision, baseline, basis = stale
    elif (
        baseline is not None
        and job.confirm
        and (decision.exit_code != 2 or decision.cause == "busy")
    ):
        # (a comparison refused because the machine's speed changed is not re-measured:
        # a re-run minutes later meets the same machine; one refused as busy is, once
        # the machine quiets)
        suite, decision = _confirm(
            job, stages, (suite, decision), (baseline, current), out=out, progress=progress
        )
        if decision.exit_code == 1 and job.remeasure:
            suite, decision, basis = verify_at_commit(
                job, stages, (suite, decision), (baseline, current), progress
            )
    history_root = job.settings.resolve(job.history_dir)
    past = load_history(history_root, current.run.machine.id)
    if not job.partial:
        append_run(current, history_root)
    runs = (*past, current)
    claims = judge_claims(claim_specs, current.by_id())
    progress(f"verdicts: {counts_text(suite)}; claims: {claims_text(claims)}")
    data = build_report_data(
        suite,
        current=current,
        baseline=baseline,
        decision=decision,
        history=runs,
        change_points=history_change_points(runs, [r.id for r in current.results]),
        claims=claims,
        asv_site=job.settings.resolve(ASV_SITE),
    )
    stages.render(data, out)
    report = out / "index.html"
    progress(f"report: {report}")
    line = verdict_line(decision, suite, recorded, report, progress.elapsed(), basis=basis)
    return JobOutcome(
        exit_code=decision.exit_code,
        verdict_line=line,
        report=report,
        results=out / "results.json",
        first_baseline=recorded,
        decision=decision,
    )
