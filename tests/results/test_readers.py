"""Readers of pytest-benchmark, asv, Locust and perfcore output (perfcore.results.readers)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from perfcore.errors import BaselineError, SchemaError
from perfcore.results.model import Machine, Result, ResultSet, RunInfo
from perfcore.results.readers import merge_runs, read_any

FIXTURES = Path(__file__).parent.parent / "fixtures"

_TINY_BENCH = """
import pytest

def test_sum(benchmark):
    benchmark(sum, range(100))

@pytest.mark.parametrize("n", [10])
def test_sorted(benchmark, n):
    benchmark(sorted, list(range(n, 0, -1)))

def test_rate(benchmark):
    benchmark.extra_info.update(perfcore_id="tiny.rate", perfcore_unit="req/s",
                                perfcore_samples=[100.0, 110.0, 105.0])
    benchmark(lambda: None)
"""


@pytest.fixture(scope="module")
def pytest_benchmark_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real pytest-benchmark run: raw JSON and a saved (summary-only) run."""
    root = tmp_path_factory.mktemp("pb")
    (root / "test_tiny.py").write_text(_TINY_BENCH)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_tiny.py",
            "--benchmark-only",
            "--benchmark-json=raw.json",
            "--benchmark-autosave",
            f"--benchmark-storage=file://{root / 'saved'}",
            "--benchmark-max-time=0.01",
            "--benchmark-min-rounds=5",
            "-o",
            "addopts=",
            "--rootdir",
            str(root),
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


def test_pytest_benchmark_raw_samples(pytest_benchmark_run: Path) -> None:
    """Raw stats.data become seconds samples with ids stripped of test_ prefixes."""
    results = read_any(pytest_benchmark_run / "raw.json").by_id()
    assert set(results) == {"tiny.sum", "tiny.sorted[10]", "tiny.rate"}
    total = results["tiny.sum"]
    assert total.unit == "s"
    assert total.better == "lower"
    assert len(total.samples) >= 5
    assert "samples_from" not in total.extra
    assert results["tiny.sorted[10]"].params == {"n": 10}


def test_pytest_benchmark_extra_info_overrides(pytest_benchmark_run: Path) -> None:
    """extra_info perfcore_* keys set id, unit, direction (from the unit) and samples."""
    rate = read_any(pytest_benchmark_run / "raw.json").by_id()["tiny.rate"]
    assert (rate.unit, rate.better, rate.samples) == ("req/s", "higher", (100.0, 110.0, 105.0))


def test_pytest_benchmark_summary_only(pytest_benchmark_run: Path) -> None:
    """A saved run without data is read from its summary stats, marked as such."""
    (saved,) = (pytest_benchmark_run / "saved").rglob("*.json")
    total = read_any(saved).by_id()["tiny.sum"]
    assert total.extra["samples_from"] == "summary"
    assert total.extra["summary"]["n"] >= 5
    assert total.samples == (total.extra["summary"]["median"],)


def test_directory_of_runs_merges_into_rounds(pytest_benchmark_run: Path, tmp_path: Path) -> None:
    """Two runs of one suite in a directory become one result with two rounds."""
    raw = (pytest_benchmark_run / "raw.json").read_text()
    (tmp_path / "a.json").write_text(raw)
    (tmp_path / "b.json").write_text(raw)
    merged = read_any(tmp_path).by_id()["tiny.sum"]
    single = read_any(pytest_benchmark_run / "raw.json").by_id()["tiny.sum"]
    assert len(merged.samples) == 2 * len(single.samples)
    assert sorted(set(merged.extra["rounds"])) == [0, 1]


def _asv_tree(root: Path, samples: bool) -> Path:
    results = root / "results"
    machine = results / "box"
    machine.mkdir(parents=True)
    (machine / "machine.json").write_text(
        json.dumps(
            {
                "arch": "x86_64",
                "cpu": "Xeon",
                "machine": "box",
                "num_cpu": "2",
                "os": "Linux",
                "ram": "8000000",
                "version": 1,
            }
        )
    )
    (results / "benchmarks.json").write_text(
        json.dumps(
            {
                "bench.TimeSuite.time_sort": {
                    "name": "bench.TimeSuite.time_sort",
                    "type": "time",
                    "unit": "seconds",
                    "params": [["10", "100"]],
                    "param_names": ["n"],
                    "version": "1",
                },
                "bench.mem_list": {
                    "name": "bench.mem_list",
                    "type": "memory",
                    "unit": "bytes",
                    "params": [],
                    "param_names": [],
                    "version": "1",
                },
                "version": 2,
            }
        )
    )
    columns = [
        "result",
        "params",
        "version",
        "started_at",
        "duration",
        "stats_ci_99_a",
        "stats_ci_99_b",
        "stats_q_25",
        "stats_q_75",
        "stats_number",
        "stats_repeat",
        "samples",
    ]
    sort_row = [
        [1e-6, 2e-5],
        [["10", "100"]],
        "1",
        1,
        0.5,
        [9e-7, 1.9e-5],
        [1.1e-6, 2.1e-5],
        [0.95e-6, 1.95e-5],
        [1.05e-6, 2.05e-5],
        [1000, 100],
        [10, 10],
    ]
    if samples:
        sort_row.append([[1e-6, 1.1e-6, 0.9e-6], [2e-5, 2.1e-5, 1.9e-5]])
    doc = {
        "commit_hash": "abcdef1234567890",
        "env_name": "virtualenv-py3.11",
        "date": 1700000000000,
        "params": {
            "machine": "box",
            "cpu": "Xeon",
            "num_cpu": "2",
            "os": "Linux",
            "ram": "8000000",
            "python": "3.11",
        },
        "python": "3.11",
        "requirements": {},
        "env_vars": {},
        "result_columns": columns,
        "results": {
            "bench.TimeSuite.time_sort": sort_row,
            "bench.mem_list": [[4096], [], "1", 1, 0.1],
        },
        "durations": {},
        "version": 2,
    }
    (machine / "abcdef12-virtualenv-py3.11.json").write_text(json.dumps(doc))
    return results


def test_asv_results_dir_with_samples(tmp_path: Path) -> None:
    """An asv 0.6 results tree: parameterised ids, raw samples, bytes for memory."""
    from asv.results import Results

    tree = _asv_tree(tmp_path, samples=True)
    Results.load(str(tree / "box" / "abcdef12-virtualenv-py3.11.json"))  # asv itself reads it
    got = read_any(tree)
    results = got.by_id()
    assert results["bench.TimeSuite.time_sort(100)"].samples == (2e-5, 2.1e-5, 1.9e-5)
    assert results["bench.mem_list"].unit == "bytes"
    assert got.run.machine.id == "box"
    assert got.run.commit.id == "abcdef1234567890"


def test_asv_without_samples_uses_stats(tmp_path: Path) -> None:
    """Without recorded samples, asv stats give a summary (median, IQR, repeat)."""
    tree = _asv_tree(tmp_path, samples=False)
    sort10 = read_any(tree / "box").by_id()["bench.TimeSuite.time_sort(10)"]
    assert sort10.extra["samples_from"] == "summary"
    assert sort10.extra["summary"]["n"] == 10
    assert sort10.extra["summary"]["iqr"] == pytest.approx(1e-7)


def test_locust_csv_with_history() -> None:
    """Locust CSV: latencies in seconds, throughput higher-is-better, one run total each."""
    results = read_any(FIXTURES / "locust" / "run_stats.csv").by_id()
    p99 = results["load.aggregated.p99"]
    assert (p99.unit, p99.better) == ("s", "lower")
    assert p99.samples == (0.010,)  # the 99% column of the Aggregated row, in seconds
    assert results["load.aggregated.throughput"].better == "higher"
    assert results["load.missing.error_rate"].samples == (pytest.approx(1.0),)


def test_locust_json() -> None:
    """Locust --json: per-second request counts and histogram percentiles."""
    results = read_any(FIXTURES / "locust" / "run.json").by_id()
    assert results["load.root.throughput"].unit == "req/s"
    assert results["load.root.p50"].samples[0] < 0.1


def test_perfcore_file_round_trips(tmp_path: Path) -> None:
    """perfcore's own files are read back unchanged."""
    run = RunInfo(created="2026-01-01T00:00:00+00:00", machine=Machine("m", "c", 2, 1, "o", "3"))
    original = ResultSet(run=run, results=(Result("a.b", "s", "lower", (1.0, 2.0)),))
    original.save(tmp_path / "r.json")
    assert read_any(tmp_path / "r.json") == original


def test_merge_refuses_mixed_machines() -> None:
    """Runs from two machines cannot be merged into one side."""

    def one(mid: str) -> ResultSet:
        run = RunInfo(created="x", machine=Machine(mid, "c", 2, 1, "o", "3"))
        return ResultSet(run=run, results=(Result("a", "s", "lower", (1.0,)),))

    with pytest.raises(BaselineError, match="different machines"):
        merge_runs([one("m1"), one("m2")])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("{not json", "not valid JSON"),
        ('{"schema": "perfcore.results/99", "run": {}, "results": []}', "unknown schema"),
        ('{"hello": 1}', "unknown format"),
        ('{"benchmarks": [], "machine_info": {}}', "no benchmarks"),
    ],
)
def test_bad_files_are_schema_errors(tmp_path: Path, content: str, message: str) -> None:
    """Empty, corrupt, unknown-schema and unknown-format files raise one-line SchemaErrors."""
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(SchemaError, match=message) as info:
        read_any(bad)
    assert "\n" not in str(info.value)


def test_missing_path_and_empty_dir(tmp_path: Path) -> None:
    """A missing path or a directory without result files is a SchemaError."""
    with pytest.raises(SchemaError, match="no such file"):
        read_any(tmp_path / "nope.json")
    with pytest.raises(SchemaError, match="no result files"):
        read_any(tmp_path)


def test_pytest_benchmark_machine_from_conftest(tmp_path: Path) -> None:
    """machine_info.perfcore_machine (bench/conftest.py) is the run's machine identity."""
    machine = Machine("abc123", "cpu", 2, 1, "os", "3.11")
    doc = {
        "machine_info": {"perfcore_machine": machine.to_dict()},
        "commit_info": {"id": "c1"},
        "datetime": "2026-01-01T00:00:00",
        "version": "5.1.0",
        "benchmarks": [
            {
                "name": "test_x",
                "fullname": "bench/test_cache.py::test_x",
                "params": None,
                "extra_info": {},
                "stats": {"data": [1.0, 1.1], "median": 1.05, "iqr": 0.1, "rounds": 2},
            }
        ],
    }
    (tmp_path / "pb.json").write_text(json.dumps(doc))
    got = read_any(tmp_path / "pb.json")
    assert got.run.machine == machine
    assert got.run.commit.id == "c1"
    assert got.by_id()["cache.x"].samples == (1.0, 1.1)
