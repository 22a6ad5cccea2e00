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

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from perfcore._procs import stop_tree, uninterrupted
from perfcore.analysis.claims import judge_claims
from perfcore.analysis.compare import (
    Comparison,
    GateDecision,
    SuiteComparison,
    compare_suites,
    screen_regressions,
)
from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.config import Settings
from perfcore.errors import ServiceError
from perfcore.report import build_report_data, render_report
from perfcore.report.build import history_change_points
from perfcore.report.run_summary import claims_text, counts_text, verdict_line
from perfcore.results.baselines import BaselineStore
from perfcore.results.claims_file import Claim, load_claims
from perfcore.results.environment import current_machine, new_run_info
from perfcore.results.history import append_run, load_history
from perfcore.results.model import ResultSet
from perfcore.results.noise_file import load_noise, noise_path
from perfcore.results.readers import merge_runs, read_any
from perfcore.runner.stale_baseline import (
    Remeasured,
    commit_problem,
    judge_remeasured,
    paired_judging,
    refresh_baseline,
    remeasure_commit,
)

__all__ = ["JobOutcome", "JobSettings", "Progress", "Stages", "run_main_job"]

HISTORY_DIR = Path("reports/history")
ASV_SITE = Path(".asv/html/index.html")
# A full run is this many passes over the suite, each in its own process with a share
# of the rounds (bench/conftest.py): the run-to-run movement of a benchmark's median on
# a shared machine is mostly between processes and minutes, not within one (see docs/benchmarks.md).
DEFAULT_PASSES = 3
# How long the confirmation stage waits for a busy machine to quiet before re-measuring.
QUIET_WAIT_S = 60.0
PASSES_ENV = "PERFCORE_BENCH_PASSES"


@dataclass(frozen=True)
class JobSettings:
    """What one main job does; paths are resolved against ``settings.root``."""

    settings: Settings
    quick: bool = False
    load: bool = True
    out_dir: Path | None = None
    bench_dir: Path = Path("bench")
    history_dir: Path = HISTORY_DIR
    pytest_args: tuple[str, ...] = ()
    confirm: bool = True
    passes: int | None = None
    nodes: tuple[str, ...] = ()  # run only these pytest node ids (the confirmation stage)
    # When the stored numbers are stale (the host's speed moved), re-measure the
    # baseline's commit here in turns with the working tree and judge on that.
    remeasure: bool = True

    @property
    def pass_count(self) -> int:
        """Passes over the suite: as given, else 1 in quick mode and ``DEFAULT_PASSES``."""
        if self.passes is not None:
            return self.passes
        return 1 if self.quick else DEFAULT_PASSES

    @property
    def partial(self) -> bool:
        """Whether only some benchmarks run (a -k selection): never a baseline, never history."""
        return bool(self.pytest_args) or bool(self.nodes)

    @property
    def out(self) -> Path:
        """The output folder (``[tool.perfcore] output_dir`` unless given)."""
        return self.settings.resolve(self.out_dir or self.settings.output_dir)


@dataclass(frozen=True)
class JobOutcome:
    """What the job decided and where it wrote."""

    exit_code: int
    verdict_line: str
    report: Path
    results: Path
    first_baseline: bool
    decision: GateDecision


class Progress:
    """Stage lines with the elapsed time, e.g. ``[  12.4s] benchmarks: 14/52``."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()

    def elapsed(self) -> float:
        """Seconds since the job started."""
        return self._clock() - self._start

    def __call__(self, message: str) -> None:
        """Print one progress line."""
        print(f"[{self.elapsed():7.1f}s] {message}", file=self._stream, flush=True)


BenchStage = Callable[[JobSettings, Path, Progress], ResultSet]
LoadStage = Callable[[JobSettings, Path, Progress], ResultSet]
# (commit, the job, its judging of paired rounds, progress) -> the commit re-measured here.
RemeasureStage = Callable[[str, JobSettings, JudgeSettings, Progress], Remeasured]


def _pytest_argv(job: JobSettings, json_path: Path) -> list[str]:
    # Node ids alone when given (the confirmation stage): with the folder beside them
    # pytest would run the whole suite again and the named benchmarks twice.
    targets = list(job.nodes) if job.nodes else [str(job.bench_dir)]
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        "--benchmark-only",
        f"--benchmark-json={json_path}",
        "-p",
        "no:cacheprovider",
        "-v",
        "--benchmark-columns=median,iqr,rounds",
    ]
    if job.quick:
        argv.append("--quick")
    return [*argv, *job.pytest_args]


def run_benchmarks(job: JobSettings, out: Path, progress: Progress) -> ResultSet:
    """Run the pytest-benchmark suite in ``job.pass_count`` child processes, one after
    the other; pass ``i`` writes ``bench-<i>.json`` and ``bench-<i>.log``.

    The passes are merged into one run whose samples are labelled by pass
    (``extra["rounds"]``), so the comparison takes each pass's median as one unit.
    """
    passes = job.pass_count
    sets = []
    for i in range(1, passes + 1):
        name = "bench" if passes == 1 else f"bench-{i}"
        json_path, log_path = out / f"{name}.json", out / f"{name}.log"
        argv = _pytest_argv(job, json_path)
        env = {**os.environ, PASSES_ENV: str(passes)}
        tag = "" if passes == 1 else f"pass {i}/{passes} "
        # Its own session, ended as a group: a signal to perfcore alone must not leave the
        # suite (or a pool it started) running.
        with (
            log_path.open("w", encoding="utf-8") as log,
            subprocess.Popen(
                argv,
                cwd=job.settings.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                env=env,
                start_new_session=True,
            ) as child,
        ):
            try:
                assert child.stdout is not None
                for line in child.stdout:
                    log.write(line)
                    _report_test_line(line, progress, tag)
                code = child.wait()
            finally:
                with uninterrupted():
                    stop_tree(child)
        if code != 0 or not json_path.is_file():
            raise ServiceError(f"the benchmark suite failed (pytest exit {code}); see {log_path}")
        sets.append(read_any(json_path))
    return sets[0] if passes == 1 else merge_runs(sets)


def _report_test_line(line: str, progress: Progress, tag: str = "") -> None:
    # pytest -v prints "bench/test_x.py::test_y[p] PASSED  [ 12%]" once per benchmark.
    text = line.strip()
    if "::" in text and text.endswith("%]"):
        name, _, rest = text.partition(" ")
        status, _, percent = rest.rpartition("[")
        progress(
            f"benchmarks {tag}{percent.rstrip(']').strip():>4} {name.split('/')[-1]} "
            f"{status.strip()}"
        )


def run_load_test(job: JobSettings, out: Path, progress: Progress) -> ResultSet:
    """A short closed-loop load test of the local server and the cloud simulator."""
    from perfcore.load.orchestrate import LoadSettings, run_load
    from perfcore.load.results import to_result_set

    settings = LoadSettings(
        targets=("local", "cloud"),
        users=8,
        duration_s=4.0 if job.quick else 10.0,
        workdir=out / "load",
        model_dir=str(job.settings.resolve(job.settings.model_store) / "current"),
    )
    report = run_load(settings, progress=_every(2.0, lambda m: progress(f"load: {m}")))
    if report.problems:
        raise ServiceError("the load test failed: " + "; ".join(report.problems))
    return to_result_set(report.measurements)


def _every(
    seconds: float, show: Callable[[str], None], clock: Callable[[], float] = time.monotonic
) -> Callable[[str], None]:
    """``show`` at most once per ``seconds`` (the load test reports four times a second)."""
    last = [-float("inf")]

    def throttled(message: str) -> None:
        now = clock()
        if now - last[0] >= seconds:
            last[0] = now
            show(message)

    return throttled


def _remeasure_here(
    commit: str, job: JobSettings, judging: JudgeSettings, progress: Progress
) -> Remeasured:
    return remeasure_commit(
        commit, job.settings.root, quick=job.quick, judging=judging, say=progress
    )


@dataclass(frozen=True)
class Stages:
    """The heavy stages, replaceable (tests inject fakes)."""

    benchmarks: BenchStage = run_benchmarks
    load: LoadStage = run_load_test
    remeasure: RemeasureStage = field(default=_remeasure_here)
    render: Callable[..., object] = field(default=render_report)


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
    return judge(baseline, current, _judging(job, current))


def _judging(job: JobSettings, current: ResultSet) -> JudgeSettings:
    """The stored baseline's judging, with this machine's calibrated between-run noise
    (``perfcore calibrate``) when there is one."""
    judging = JudgeSettings.from_settings(job.settings)
    noise = noise_path(job.settings.resolve(job.settings.baselines_dir), current.run.machine.id)
    if not noise.is_file():
        return judging
    model = load_noise(noise)
    return judging.with_noise(model.between_run_sd(), model.between_run_df(), str(noise))


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

    A benchmark slower than its threshold at a loose level (:func:`screen_regressions`)
    is run again; the first run and the re-run together are then judged at the suite's
    family-wise level, and the re-run alone must be slower too, since a stretch of one
    run slowed by another job looks exactly like a regression of the benchmarks it hit
    (see :func:`perfcore.analysis.compare.confirm_regressions`).
    """
    suite, decision = judged
    baseline, current = sides
    measured = current.by_id()
    screened = screen_regressions(suite)
    nodes = sorted(
        {str(measured[i].extra["node"]) for i in screened if measured[i].extra.get("node")}
    )
    if not nodes:
        return suite, decision
    first = len(suite.regressions())
    busy = [c for c in suite.comparisons if c.verdict == "disturbed"]
    if busy:
        _wait_for_quiet(busy, progress)
    progress(
        f"confirm: re-running {len(nodes)} benchmark(s) slower than their threshold "
        f"({first} regressed on this run alone) to decide on two runs"
    )
    (out / "confirm").mkdir(exist_ok=True)
    again = stages.benchmarks(replace(job, nodes=tuple(nodes)), out / "confirm", progress)
    progress(f"confirm: {len(again.results)} result(s) re-measured")
    suite, decision = judge(baseline, current, _judging(job, current), rerun=again)
    progress(f"confirm: {len(suite.regressions())} regression(s) on both runs together")
    return suite, decision


def _on_stale(
    job: JobSettings,
    stages: Stages,
    stale: ResultSet,
    refusal: GateDecision,
    progress: Progress,
) -> tuple[SuiteComparison, GateDecision, ResultSet, str] | None:
    """Judge against the stale baseline's commit re-measured here (None: it cannot be).

    Returns the verdicts, the decision, the re-measured baseline and the verdict line's
    note on what the run was judged against; the stored numbers are refreshed from it.
    """
    progress(f"baseline: the stored numbers are stale: {refusal.reasons[0]}")
    problem = "a partial run (-k or node ids)" if job.partial else ""
    problem = problem or commit_problem(job.settings.root, stale)
    if problem:
        progress(f"baseline: cannot re-measure its commit: {problem}")
        return None
    commit = stale.run.commit.id
    judging = paired_judging(job.settings, stale.run.machine.id)
    done = stages.remeasure(commit, job, judging, progress)
    suite, decision = judge_remeasured(done, judging)
    store = BaselineStore(job.settings.resolve(job.settings.baselines_dir))
    path = refresh_baseline(store, stale, done)
    progress(f"baseline: refreshed from {commit[:10]} re-measured here: {path}")
    return (
        suite,
        decision,
        done.reference,
        f"judged against {commit[:10]} re-measured here in turns (stored numbers stale)",
    )


def _wait_for_quiet(busy: list[Comparison], progress: Progress) -> None:
    """Before re-measuring results timed beside foreign load, wait (bounded) for quiet."""
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
    mode = "quick" if job.quick else "full"
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
        stale = _on_stale(job, stages, baseline, decision, progress)
        if stale is not None:
            suite, decision, baseline, basis = stale
    elif baseline is not None and job.confirm and decision.exit_code != 2:
        # (a refused comparison is not re-run: a re-run minutes later meets the same machine)
        suite, decision = _confirm(
            job, stages, (suite, decision), (baseline, current), out=out, progress=progress
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
