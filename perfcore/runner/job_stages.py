"""The main job's settings and its heavy stages: the suite in passes, the load test.

:func:`perfcore.runner.main_job.run_main_job` calls the stages through :class:`Stages`,
so tests inject fakes.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from perfcore._procs import stop_tree, uninterrupted
from perfcore.analysis.judge import JudgeSettings
from perfcore.config import Settings
from perfcore.errors import ServiceError
from perfcore.report import render_report
from perfcore.results.model import ResultSet
from perfcore.results.readers import merge_runs, read_any
from perfcore.runner.stale_baseline import Remeasured, remeasure_commit
from perfcore.runner.suite import SuiteProfile, suite_command

__all__ = [
    "DEFAULT_PASSES",
    "HISTORY_DIR",
    "JobSettings",
    "Progress",
    "Stages",
    "run_benchmarks",
    "run_load_test",
]

HISTORY_DIR = Path("reports/history")
# A full run is this many passes over the suite, each in its own process with a share
# of the rounds (bench/conftest.py): the run-to-run movement of a benchmark's median on
# a shared machine is mostly between processes and minutes, not within one (see docs/benchmarks.md).
DEFAULT_PASSES = 3


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
    # Stale stored numbers: re-measure the whole suite at their commit (and refresh them)
    # instead of judging with the host's common shift removed and checking regressions
    # at the commit.
    remeasure_all: bool = False

    @property
    def pass_count(self) -> int:
        """Passes over the suite: as given, else 1 in quick mode and ``DEFAULT_PASSES``."""
        if self.passes is not None:
            return self.passes
        return 1 if self.quick else DEFAULT_PASSES

    @property
    def profile(self) -> SuiteProfile:
        """The suite's profile: quick or full, in ``pass_count`` passes."""
        return SuiteProfile(quick=self.quick, passes=self.pass_count)

    @property
    def targets(self) -> tuple[str, ...]:
        """What pytest runs: the node ids alone when given (the confirmation stage), else
        the suite folder; with the folder beside them pytest would run the whole suite
        again and the named benchmarks twice."""
        return self.nodes or (str(self.bench_dir),)

    @property
    def partial(self) -> bool:
        """Whether only some benchmarks run (a -k selection): never a baseline, never history."""
        return bool(self.pytest_args) or bool(self.nodes)

    @property
    def out(self) -> Path:
        """The output folder (``[tool.perfcore] output_dir`` unless given)."""
        return self.settings.resolve(self.out_dir or self.settings.output_dir)


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
        command = suite_command(
            job.settings.root,
            job.targets,
            json_path,
            job.profile,
            extra=job.pytest_args,
            verbose=True,
            # Named benchmarks (the confirmation) run in every pass: a 'once' benchmark
            # left out of passes 2..N would leave some of them with nothing to run.
            pass_index=1 if job.nodes else i,
        )
        tag = "" if passes == 1 else f"pass {i}/{passes} "
        # Its own session, ended as a group: a signal to perfcore alone must not leave the
        # suite (or a pool it started) running.
        with (
            log_path.open("w", encoding="utf-8") as log,
            subprocess.Popen(
                command.argv,
                cwd=job.settings.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                env=dict(command.env),
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
        duration_s=4.0 if job.quick else 6.0,
        workdir=out / "load",
        model_dir=str(job.settings.resolve(job.settings.model_store) / "current"),
    )
    report = run_load(settings, progress=_every(2.0, lambda m: progress(f"load: {m}")))
    if report.problems:
        raise ServiceError("the load test failed: " + "; ".join(report.problems))
    # Each load point carries its own disturbance reading (perfcore.load.orchestrate).
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


def remeasure_here(
    commit: str, job: JobSettings, judging: JudgeSettings, progress: Progress
) -> Remeasured:
    """Re-measure ``commit`` against the working tree in paired rounds, here."""
    return remeasure_commit(
        commit,
        job.settings.root,
        quick=job.quick,
        judging=judging,
        say=progress,
        nodes=job.nodes,
    )


@dataclass(frozen=True)
class Stages:
    """The heavy stages, replaceable (tests inject fakes)."""

    benchmarks: BenchStage = run_benchmarks
    load: LoadStage = run_load_test
    remeasure: RemeasureStage = remeasure_here
    render: Callable[..., object] = field(default=render_report)
