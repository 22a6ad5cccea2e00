"""The main job's orchestration, with the benchmark and load stages faked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perfcore.config import Settings
from perfcore.errors import SchemaError, ServiceError
from perfcore.results.baselines import BaselineStore
from perfcore.results.environment import current_machine, new_run_info
from perfcore.results.model import Result, ResultSet, load_results
from perfcore.runner.main_job import JobSettings, Progress, Stages, run_main_job


def _samples(centre: float, seed: int, n: int = 20) -> tuple[float, ...]:
    rng = np.random.default_rng(seed)
    return tuple(float(v) for v in centre * (1 + 0.02 * rng.standard_normal(n)))


def _set(*results: Result) -> ResultSet:
    return ResultSet(run=new_run_info("pytest-benchmark"), results=results)


def _bench(centre: float = 1.0, seed: int = 0) -> ResultSet:
    return _set(
        Result("cache.exact_hit", "s", "lower", _samples(centre * 1e-6, seed)),
        Result("training.linear.training", "s", "lower", _samples(centre, seed + 1)),
    )


def _load() -> ResultSet:
    return _set(Result("load.local.throughput", "req/s", "higher", _samples(5000.0, 7)))


class Recorder:
    """Fake stages that record what the job asked of them."""

    def __init__(self, bench: ResultSet, load: ResultSet | None = None) -> None:
        self.bench, self.load_set = bench, load or _load()
        self.calls: list[str] = []

    def stages(self) -> Stages:
        """Stages built from this recorder."""
        return Stages(benchmarks=self._bench, load=self._load, render=self._render)

    def _bench(self, job: JobSettings, out: Path, progress: Progress) -> ResultSet:
        self.calls.append("bench")
        return self.bench

    def _load(self, job: JobSettings, out: Path, progress: Progress) -> ResultSet:
        self.calls.append("load")
        return self.load_set

    def _render(self, data: Any, out: Path) -> None:
        self.calls.append("render")
        (out / "index.html").write_text(f"<p>{data.gate.passed}</p>")


def _job(root: Path, **kwargs: Any) -> JobSettings:
    return JobSettings(settings=Settings(root=root), **kwargs)


def test_first_run_records_baseline_and_says_so(tmp_path: Path) -> None:
    """With no baseline the run becomes the first one, passes, and the line says so."""
    stream = io.StringIO()
    outcome = run_main_job(_job(tmp_path), stages=Recorder(_bench()).stages(), stream=stream)
    assert outcome.exit_code == 0
    assert outcome.first_baseline
    assert "first baseline" in outcome.verdict_line
    assert "first baseline" in stream.getvalue()
    assert BaselineStore(tmp_path / "reports/baselines").has(current_machine().id)
    assert str(outcome.report) in outcome.verdict_line


def test_results_are_merged_into_one_run(tmp_path: Path) -> None:
    """results.json holds the benchmark and load results under this machine's run info."""
    outcome = run_main_job(_job(tmp_path), stages=Recorder(_bench()).stages(), stream=io.StringIO())
    merged = load_results(outcome.results)
    assert {r.id for r in merged.results} == {
        "cache.exact_hit",
        "training.linear.training",
        "load.local.throughput",
    }
    assert merged.run.machine == current_machine()
    assert merged.run.source == "perfcore"


def test_unchanged_second_run_passes(tmp_path: Path) -> None:
    """A second run measuring the same numbers passes against the stored baseline."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench(seed=0)).stages(), stream=io.StringIO())
    outcome = run_main_job(
        _job(tmp_path), stages=Recorder(_bench(seed=10)).stages(), stream=io.StringIO()
    )
    assert (outcome.exit_code, outcome.first_baseline) == (0, False)
    assert outcome.verdict_line.startswith("perfcore: PASS")


def test_regression_exits_1(tmp_path: Path) -> None:
    """A run twice as slow as the baseline fails with exit 1 and says FAIL."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench(1.0)).stages(), stream=io.StringIO())
    outcome = run_main_job(
        _job(tmp_path), stages=Recorder(_bench(2.0, seed=3)).stages(), stream=io.StringIO()
    )
    assert outcome.exit_code == 1
    assert "FAIL" in outcome.verdict_line
    assert "regressed" in outcome.verdict_line


def test_no_load_skips_the_stage_and_its_baseline(tmp_path: Path) -> None:
    """Without the load test, load results in the baseline are not reported missing."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench()).stages(), stream=io.StringIO())
    recorder = Recorder(_bench(seed=5))
    outcome = run_main_job(
        _job(tmp_path, load=False), stages=recorder.stages(), stream=io.StringIO()
    )
    assert recorder.calls == ["bench", "render"]
    assert outcome.exit_code == 0


def test_each_run_is_appended_to_history(tmp_path: Path) -> None:
    """Every run adds one file to this machine's history."""
    for seed in (0, 1):
        run_main_job(
            _job(tmp_path), stages=Recorder(_bench(seed=seed)).stages(), stream=io.StringIO()
        )
    folder = tmp_path / "reports/history" / current_machine().id
    assert len(list(folder.glob("*.json"))) == 2


def test_progress_lines_carry_elapsed_time(tmp_path: Path) -> None:
    """Every progress line starts with the elapsed seconds in brackets."""
    stream = io.StringIO()
    run_main_job(_job(tmp_path), stages=Recorder(_bench()).stages(), stream=stream)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 5
    assert all(line.startswith("[") and "s] " in line for line in lines)


def test_progress_uses_injected_clock() -> None:
    """Progress reports time from its clock, not the wall."""
    ticks = iter([100.0, 112.5])
    stream = io.StringIO()
    Progress(stream, clock=lambda: next(ticks))("stage")
    assert stream.getvalue() == "[   12.5s] stage\n"


def test_failed_benchmarks_stop_the_job(tmp_path: Path) -> None:
    """A failing benchmark stage raises ServiceError and records no baseline."""

    def broken(job: JobSettings, out: Path, progress: Progress) -> ResultSet:
        raise ServiceError("the benchmark suite failed")

    with pytest.raises(ServiceError):
        run_main_job(_job(tmp_path), stages=Stages(benchmarks=broken), stream=io.StringIO())
    assert not (tmp_path / "reports/baselines").exists()


def test_real_render_writes_every_format(tmp_path: Path) -> None:
    """With the real renderer the job writes index.html, summary.md, verdict.json, junit.xml."""
    recorder = Recorder(_bench())
    stages = Stages(benchmarks=recorder.stages().benchmarks, load=recorder.stages().load)
    outcome = run_main_job(_job(tmp_path), stages=stages, stream=io.StringIO())
    for name in ("index.html", "summary.md", "verdict.json", "junit.xml"):
        assert (outcome.report.parent / name).is_file(), name


def test_partial_run_is_judged_on_what_it_measured(tmp_path: Path) -> None:
    """A -k run compares only its own results, and is kept out of the history."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench()).stages(), stream=io.StringIO())
    only_cache = _set(Result("cache.exact_hit", "s", "lower", _samples(1e-6, 9)))
    outcome = run_main_job(
        _job(tmp_path, pytest_args=("-k", "cache"), load=False),
        stages=Recorder(only_cache).stages(),
        stream=io.StringIO(),
    )
    assert outcome.exit_code == 0
    assert "missing" not in outcome.verdict_line
    folder = tmp_path / "reports/history" / current_machine().id
    assert len(list(folder.glob("*.json"))) == 1


def test_partial_run_never_becomes_the_first_baseline(tmp_path: Path) -> None:
    """Without a baseline, a -k run records none and exits 2 (nothing to compare)."""
    outcome = run_main_job(
        _job(tmp_path, pytest_args=("-k", "cache")),
        stages=Recorder(_bench()).stages(),
        stream=io.StringIO(),
    )
    assert outcome.exit_code == 2
    assert not (tmp_path / "reports/baselines").exists()


def test_broken_claims_file_fails_before_measuring(tmp_path: Path) -> None:
    """A malformed claims file stops the job before any benchmark runs."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports/claims.toml").write_text("[[claim]]\nname = 'x'\n")
    recorder = Recorder(_bench())
    with pytest.raises(SchemaError):
        run_main_job(_job(tmp_path), stages=recorder.stages(), stream=io.StringIO())
    assert recorder.calls == []


def _noded(results: ResultSet) -> ResultSet:
    return _set(
        *(
            Result(
                r.id, r.unit, r.better, r.samples, extra={"node": f"bench/test_x.py::test_{r.id}"}
            )
            for r in results.results
        )
    )


class Answers(Recorder):
    """Benchmark stage answers one result set per call, recording the pytest arguments."""

    def __init__(self, *answers: ResultSet) -> None:
        super().__init__(answers[0])
        self.answers = list(answers)
        self.args: list[tuple[str, ...]] = []

    def _bench(self, job: JobSettings, out: Path, progress: Progress) -> ResultSet:
        self.args.append(job.nodes or job.pytest_args)
        return self.answers.pop(0)


@pytest.mark.parametrize(("rerun", "code"), [(1.0, 0), (2.0, 1)])
def test_regressions_are_confirmed_by_a_rerun(tmp_path: Path, rerun: float, code: int) -> None:
    """What looks slower is re-run; the job fails only when both runs together regress
    and the re-run alone is slower too."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench(1.0)).stages(), stream=io.StringIO())
    stages = Answers(_noded(_bench(2.0, seed=3)), _noded(_bench(rerun, seed=5)))
    stream = io.StringIO()
    outcome = run_main_job(_job(tmp_path), stages=stages.stages(), stream=stream)
    assert outcome.exit_code == code
    assert stages.args[1] == (
        "bench/test_x.py::test_cache.exact_hit",
        "bench/test_x.py::test_training.linear.training",
    )
    assert (
        "confirm: re-running 2 benchmark(s) slower than their threshold (2 regressed "
        "on this run alone)"
    ) in stream.getvalue()
    assert f"confirm: {2 if code else 0} regression(s) on both runs together" in stream.getvalue()


def test_no_confirm_fails_on_the_first_regression(tmp_path: Path) -> None:
    """With confirmation off the first regression fails the job without a re-run."""
    run_main_job(_job(tmp_path), stages=Recorder(_bench(1.0)).stages(), stream=io.StringIO())
    stages = Answers(_noded(_bench(2.0, seed=3)))
    outcome = run_main_job(
        _job(tmp_path, confirm=False), stages=stages.stages(), stream=io.StringIO()
    )
    assert outcome.exit_code == 1
    assert len(stages.args) == 1


def test_passes_run_the_suite_in_separate_processes_and_merge(tmp_path: Path) -> None:
    """Each pass is its own pytest process, told the pass count; the run merges them
    with one round label per pass."""
    from perfcore.runner.job_stages import run_benchmarks

    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_tiny.py").write_text(
        "import os\n\n"
        "def test_tiny(benchmark):\n"
        "    benchmark.extra_info['perfcore_passes_seen'] = os.environ['PERFCORE_BENCH_PASSES']\n"
        "    benchmark.extra_info['perfcore_pid'] = os.getpid()\n"
        "    benchmark.pedantic(lambda: sum(range(200)), rounds=3, iterations=1)\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    stream = io.StringIO()
    merged = run_benchmarks(_job(tmp_path, bench_dir=suite, passes=2), out, Progress(stream))
    assert (out / "bench-1.json").is_file()
    assert (out / "bench-2.json").is_file()
    (result,) = merged.results
    assert result.extra["rounds"] == [0, 0, 0, 1, 1, 1]
    seen = [_extra_info(out / f"bench-{i}.json") for i in (1, 2)]
    assert [info["perfcore_passes_seen"] for info in seen] == ["2", "2"]
    assert seen[0]["perfcore_pid"] != seen[1]["perfcore_pid"]
    assert "pass 2/2" in stream.getvalue()


def _extra_info(path: Path) -> dict[str, Any]:
    """What the tiny benchmark recorded in one pass's JSON."""
    import json

    (bench,) = json.loads(path.read_text())["benchmarks"]
    info: dict[str, Any] = bench["extra_info"]
    return info


def test_quick_runs_one_pass_and_full_runs_three(tmp_path: Path) -> None:
    """The default pass count: 1 in quick mode, DEFAULT_PASSES otherwise, unless given."""
    from perfcore.runner.job_stages import DEFAULT_PASSES

    assert _job(tmp_path, quick=True).pass_count == 1
    assert _job(tmp_path).pass_count == DEFAULT_PASSES == 3
    assert _job(tmp_path, quick=True, passes=2).pass_count == 2


def _ten(centre: float, seed: int) -> ResultSet:
    return _noded(
        _set(
            *(
                Result(
                    f"training.m{k}.training", "s", "lower", _samples(centre * (1 + k), seed + k)
                )
                for k in range(10)
            )
        )
    )


def test_a_machine_shift_is_refused_without_a_rerun(tmp_path: Path) -> None:
    """Ten timed benchmarks 30% slower together: exit 2 with the reason, nothing re-run."""
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Answers(_ten(1.3, 50))
    outcome = run_main_job(_job(tmp_path, load=False), stages=stages.stages(), stream=io.StringIO())
    assert outcome.exit_code == 2
    assert "machine's speed changed" in outcome.verdict_line
    assert len(stages.args) == 1


def test_the_confirmation_runs_only_the_named_benchmarks(tmp_path: Path) -> None:
    """Node ids replace the suite folder: the re-run is of the named benchmarks alone."""
    from dataclasses import replace

    from perfcore.runner.suite import suite_command

    job = replace(_job(tmp_path), nodes=("bench/test_cache.py::test_exact_hit",))
    argv = suite_command(tmp_path, job.targets, tmp_path / "out.json", job.profile).argv
    assert "bench/test_cache.py::test_exact_hit" in argv
    assert str(job.bench_dir) not in argv
    assert job.partial


def _git_repo(root: Path) -> str:
    """A git repository at ``root`` with one commit; returns its id."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    (root / "README").write_text("x\n")
    git("init", "-q")
    git("add", "README")
    git("commit", "-q", "-m", "baseline")
    return git("rev-parse", "HEAD")


class Remeasurer(Answers):
    """Fake stages whose re-measurement of a commit answers paired rounds at ``centre``."""

    def __init__(self, *answers: ResultSet, reference: float, working: float) -> None:
        super().__init__(*answers)
        self.centres = (reference, working)
        self.commits: list[str] = []

    def stages(self) -> Stages:
        return Stages(
            benchmarks=self._bench, load=self._load, render=self._render, remeasure=self._again
        )

    def _again(self, commit: str, job: JobSettings, judging: Any, progress: Progress) -> Any:
        from perfcore.results.readers import merge_runs
        from perfcore.runner.stale_baseline import Remeasured

        self.commits.append(commit)
        sides = [
            merge_runs([_ten(centre, 100 * side + i) for i in range(4)])
            for side, centre in enumerate(self.centres)
        ]
        return Remeasured(commit, sides[0], sides[1], None)


@pytest.mark.parametrize(("working", "code"), [(1.3, 0), (2.6, 1)])
def test_a_stale_baseline_is_remeasured_at_its_commit(
    tmp_path: Path, working: float, code: int
) -> None:
    """--remeasure-all: the host moved 30%, the baseline's commit is re-measured here and
    the run judged on that (a pass, or a real doubling caught); the numbers refreshed."""
    commit = _git_repo(tmp_path)
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Remeasurer(_ten(1.3, 50), reference=1.3, working=working)
    job = _job(tmp_path, load=False, remeasure_all=True)
    outcome = run_main_job(job, stages=stages.stages(), stream=io.StringIO())
    assert stages.commits == [commit]
    assert outcome.exit_code == code
    assert f"judged against {commit[:10]} re-measured here" in outcome.verdict_line
    store = BaselineStore(tmp_path / Settings(root=tmp_path).baselines_dir)
    fresh = store.load(current_machine().id).by_id()["training.m0.training"]
    assert 1.2 < float(np.median(fresh.samples)) < 1.4
    assert len(store.archived(current_machine().id)) == 1


def test_a_stale_baseline_whose_commit_is_absent_is_refused(tmp_path: Path) -> None:
    """No commit to re-measure (not a clone holding it): exit 2, the reason, nothing run."""
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Remeasurer(_ten(1.3, 50), reference=1.3, working=1.3)
    stream = io.StringIO()
    outcome = run_main_job(_job(tmp_path, load=False), stages=stages.stages(), stream=stream)
    assert outcome.exit_code == 2
    assert stages.commits == []
    assert "cannot re-measure its commit" in stream.getvalue()


def _one_doubled(seed: int) -> ResultSet:
    """_ten(1.0) with training.m0 twice as slow (not a host shift: one of ten moved)."""
    ten = _ten(1.0, seed)
    return _set(
        *(
            r
            if r.id != "training.m0.training"
            else Result(r.id, r.unit, r.better, tuple(2 * v for v in r.samples), extra=r.extra)
            for r in ten.results
        )
    )


@pytest.mark.parametrize(("working", "code"), [(1.0, 0), (2.0, 1)])
def test_a_regression_against_stored_numbers_is_checked_at_their_commit(
    tmp_path: Path, working: float, code: int
) -> None:
    """A confirmed regression is re-measured at the baseline's commit in turns, for its
    benchmark only; it stands only where that regresses too."""
    commit = _git_repo(tmp_path)
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Remeasurer(_one_doubled(50), _one_doubled(70), reference=1.0, working=working)
    nodes: list[tuple[str, ...]] = []
    again = stages._again

    def recording(commit_: str, job: JobSettings, judging: Any, progress: Progress) -> Any:
        nodes.append(job.nodes)
        done = again(commit_, job, judging, progress)
        if working == 1.0:
            return done
        from perfcore.runner.stale_baseline import Remeasured

        slowed = _set(
            *(
                r
                if r.id != "training.m0.training"
                else Result(r.id, r.unit, r.better, tuple(2 * v for v in r.samples), extra=r.extra)
                for r in done.working.results
            )
        )
        return Remeasured(done.commit, done.reference, slowed, None)

    from dataclasses import replace

    outcome = run_main_job(
        _job(tmp_path, load=False),
        stages=replace(stages.stages(), remeasure=recording),
        stream=io.StringIO(),
    )
    assert stages.commits == [commit]
    assert nodes == [("bench/test_x.py::test_training.m0.training",)]
    assert outcome.exit_code == code
    assert f"checked against {commit[:10]}" in outcome.verdict_line


def _shifted(factor: float, doubled: bool, seed: int) -> ResultSet:
    """_ten(factor): every benchmark moved by the host; training.m0 twice more if asked."""
    ten = _ten(factor, seed)
    return _set(
        *(
            Result(r.id, r.unit, r.better, tuple(2 * v for v in r.samples), extra=r.extra)
            if doubled and r.id == "training.m0.training"
            else r
            for r in ten.results
        )
    )


@pytest.mark.parametrize(("doubled", "code", "checked"), [(False, 0, 0), (True, 1, 1)])
def test_stale_numbers_are_judged_with_the_hosts_shift_removed(
    tmp_path: Path, doubled: bool, code: int, checked: int
) -> None:
    """The host moved 30%: judged with that shift taken out, nothing re-measured when
    nothing else moved; a benchmark that moved beyond the host is checked at the commit
    (its node alone) and fails the job when it regresses there too."""
    _git_repo(tmp_path)
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Remeasurer(
        _shifted(1.3, doubled, 50), _shifted(1.3, doubled, 70), reference=1.3, working=2.6
    )
    outcome = run_main_job(_job(tmp_path, load=False), stages=stages.stages(), stream=io.StringIO())
    assert outcome.exit_code == code
    assert len(stages.commits) == checked
    assert "host moved +" in outcome.verdict_line


def test_a_regression_the_commit_cannot_time_stands(tmp_path: Path) -> None:
    """The commit's rounds lack the regressed result (renamed, or new since): its
    'new' verdict there does not erase the regression; the job fails."""
    _git_repo(tmp_path)
    run_main_job(
        _job(tmp_path, load=False), stages=Recorder(_ten(1.0, 0)).stages(), stream=io.StringIO()
    )
    stages = Remeasurer(_one_doubled(50), _one_doubled(70), reference=1.0, working=1.0)
    again = stages._again

    def without_m0(commit: str, job: JobSettings, judging: Any, progress: Progress) -> Any:
        from perfcore.runner.stale_baseline import Remeasured

        done = again(commit, job, judging, progress)
        ref = ResultSet(
            run=done.reference.run,
            results=tuple(r for r in done.reference.results if r.id != "training.m0.training"),
        )
        return Remeasured(done.commit, ref, done.working, None)

    from dataclasses import replace

    outcome = run_main_job(
        _job(tmp_path, load=False),
        stages=replace(stages.stages(), remeasure=without_m0),
        stream=io.StringIO(),
    )
    assert outcome.exit_code == 1


def _busy(results: ResultSet, foreign: float) -> ResultSet:
    reading = {"wall_s": 2.0, "own_cores": 1.0, "foreign_cores": foreign, "steal_cores": 0.0}
    return _set(
        *(
            Result(
                r.id,
                r.unit,
                r.better,
                r.samples,
                extra={**r.extra, "disturbance": {**reading, "cores": 2, "freq_mhz": None}},
            )
            for r in results.results
        )
    )


@pytest.mark.parametrize("quiets", [True, False])
def test_busy_results_are_remeasured_once_the_machine_quiets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiets: bool
) -> None:
    """Slower beside a one-core hog (disturbed): re-run when the machine quiets, and the
    quiet measurement decides (exit 0); still busy: not re-run, and the job refuses (2)."""
    import perfcore.instrument.disturbance as disturbance

    monkeypatch.setattr(disturbance, "wait_for_quiet", lambda level, wait: (quiets, 0.0))
    run_main_job(_job(tmp_path), stages=Recorder(_bench(1.0)).stages(), stream=io.StringIO())
    slowed = _busy(_noded(_bench(1.06, seed=3)), foreign=1.0)
    stages = Answers(slowed, _busy(_noded(_bench(1.0, seed=5)), foreign=0.0))
    stream = io.StringIO()
    outcome = run_main_job(_job(tmp_path), stages=stages.stages(), stream=stream)
    assert outcome.exit_code == (0 if quiets else 2), stream.getvalue()
    assert len(stages.args) == (2 if quiets else 1)
    if not quiets:
        assert "machine busy" in outcome.verdict_line
