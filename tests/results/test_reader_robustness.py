"""Readers never crash: a value that cannot be used is skipped with a warning (issue 14.4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from perfcore.errors import InputWarning, SchemaError
from perfcore.results.readers import read_any


def _pb(data: list[Any]) -> dict[str, Any]:
    return {
        "machine_info": {"node": "n"},
        "commit_info": {"id": "c"},
        "datetime": "2026-01-01T00:00:00",
        "version": "5.1.0",
        "benchmarks": [
            {
                "name": "test_a",
                "fullname": "bench/test_x.py::test_a",
                "params": None,
                "extra_info": {},
                "stats": {"data": data, "median": 1.0, "iqr": 0.1, "rounds": 3},
            }
        ],
    }


def _asv(results: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "commit_hash": "abcdef1234",
        "env_name": "e",
        "date": 1700000000000,
        "params": {"machine": "box", "num_cpu": "two"},
        "python": "3.11",
        "result_columns": ["result", "params", "version", "started_at", "duration"],
        "results": results,
        "version": 2,
    }


def _write(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path


def test_pytest_benchmark_skips_a_non_number_in_data(tmp_path: Path) -> None:
    """A string inside stats.data is left out with a warning; the other samples are kept."""
    path = _write(tmp_path / "pb.json", _pb([1.0, "oops", 1.2, None]))
    with pytest.warns(InputWarning, match=r"pb.json: x.a: stats.data: 2 value"):
        result = read_any(path).by_id()["x.a"]
    assert result.samples == (1.0, 1.2)


def test_pytest_benchmark_skips_an_unusable_benchmark(tmp_path: Path) -> None:
    """A benchmark entry that is not an object is skipped with a warning; the rest is read."""
    doc = _pb([1.0, 1.1])
    doc["benchmarks"].append("not a benchmark")
    with pytest.warns(InputWarning, match="benchmark #2 skipped"):
        assert set(read_any(_write(tmp_path / "pb.json", doc)).by_id()) == {"x.a"}


@pytest.mark.parametrize("value", [{"a": 1}, True, "12"])
def test_asv_track_value_that_is_not_a_number_is_skipped(tmp_path: Path, value: Any) -> None:
    """asv 0.6.6 dict or bool track values are skipped with a warning, not a traceback."""
    doc = _asv({"track_odd": [[value], [], "1", 1, 0.1], "track_ok": [[3.0], [], "1", 1, 0.1]})
    with pytest.warns(InputWarning, match="track_odd"):
        results = read_any(_write(tmp_path / "r.json", doc)).by_id()
    assert set(results) == {"track_ok"}
    assert results["track_ok"].samples == (3.0,)


@pytest.mark.parametrize("params", [["10", "100"], [[{"n": 1}]], "n", [["1", "2", "3"]]])
def test_asv_params_of_the_wrong_shape_skip_the_benchmark(tmp_path: Path, params: Any) -> None:
    """asv params that are not one list of values per parameter (or do not match the
    results) skip that benchmark with a warning."""
    doc = _asv({"time_odd": [[1.0, 2.0], params, "1", 1, 0.1], "time_ok": [[1.0], [], "1", 1, 0.1]})
    with pytest.warns(InputWarning, match="time_odd skipped"):
        assert set(read_any(_write(tmp_path / "r.json", doc)).by_id()) == {"time_ok"}


def test_asv_file_with_nothing_usable_is_a_schema_error(tmp_path: Path) -> None:
    """When every benchmark is unusable the read fails with one line naming the file."""
    doc = _asv({"track_odd": [[True], [], "1", 1, 0.1]})
    with pytest.warns(InputWarning), pytest.raises(SchemaError, match=r"r.json: .*no successful"):
        read_any(_write(tmp_path / "r.json", doc))


def test_locust_histogram_key_that_is_not_a_number_is_skipped(tmp_path: Path) -> None:
    """A response_times key "abc" is skipped with a warning; the percentiles use the rest."""
    entry = {
        "name": "/",
        "num_requests": 4,
        "num_failures": 0,
        "num_reqs_per_sec": {"1": 1, "2": 2, "3": 1},
        "response_times": {"abc": 5, "2": 2, "4": 2},
        "start_time": 1.0,
        "last_request_timestamp": 3.0,
    }
    with pytest.warns(InputWarning, match="response_times: 1 entry"):
        results = read_any(_write(tmp_path / "run.json", [entry])).by_id()
    assert results["load.root.p99"].samples == (0.004,)


def test_locust_csv_row_without_a_name_is_skipped(tmp_path: Path) -> None:
    """A short CSV row (no Name column) is skipped with a warning."""
    path = tmp_path / "run_stats.csv"
    path.write_text("Type,Name,Request Count,Failure Count,Requests/s,50%\nGET,/,10,0,5.0,4\nGET\n")
    with pytest.warns(InputWarning, match="without a Name"):
        assert "load.root.p50" in read_any(path).by_id()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("samples", [10**400], "out of range"),
        ("samples", [[1.0]], "numbers"),
        ("params", [1, 2], "params: expected an object"),
        ("extra", "x", "extra: expected an object"),
        ("id", {"a": 1}, "must be strings"),
    ],
)
def test_perfcore_result_of_the_wrong_shape(
    tmp_path: Path, field: str, value: Any, message: str
) -> None:
    """A perfcore result with a wrongly typed field is a one-line SchemaError naming the file."""
    result: dict[str, Any] = {"id": "a", "unit": "s", "better": "lower", "samples": [1.0]}
    result[field] = value
    doc = {
        "schema": "perfcore.results/1",
        "run": {
            "created": "2026-01-01",
            "source": "perfcore",
            "machine": {
                "id": "m",
                "cpu": "c",
                "cores": 2,
                "ram_bytes": 1,
                "os": "o",
                "python": "3",
            },
        },
        "results": [result],
    }
    with pytest.raises(SchemaError, match=message) as info:
        read_any(_write(tmp_path / "r.json", doc))
    assert str(info.value).startswith(str(tmp_path / "r.json"))
