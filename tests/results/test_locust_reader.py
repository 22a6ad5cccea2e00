"""Locust output read as Locust means it: its percentiles, run totals, history as a series."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perfcore.errors import InputWarning
from perfcore.results.locust_reader import _slug, from_locust_json, locust_percentile
from perfcore.results.readers import read_any

REAL = Path(__file__).parent.parent / "fixtures" / "locust" / "real"


# Locust is imported only in a child process: importing it monkey-patches the
# standard library with gevent, which must not leak into the rest of the test session.
_LOCUST_SAYS = """
import json, sys
from locust.stats import RequestStats, StatsEntry

Q = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99, "p99.9": 0.999}
task = json.load(sys.stdin)
stats = RequestStats()
out = {}
if task["kind"] == "times":  # log raw response times, as Locust does for each request
    for name, times in task["data"].items():
        entry = stats.get(name, "GET")
        for ms in times:
            entry.log(ms, 0)
        out[name] = {"serialized": entry.serialize()}
    entries = {n: stats.get(n, "GET") for n in task["data"]}
else:  # entries of a --json file, histogram keys back to ints
    entries = {}
    for raw in task["data"]:
        entry = StatsEntry.unserialize(raw, stats)
        entry.response_times = {int(k): v for k, v in raw["response_times"].items()}
        entries[raw["name"]] = entry
    total = StatsEntry(stats, "Aggregated", "")
    for entry in entries.values():
        total.extend(entry)
    entries["Aggregated"] = total
for name, entry in entries.items():
    out.setdefault(name, {})
    out[name]["percentiles"] = {m: entry.get_response_time_percentile(q) for m, q in Q.items()}
    out[name]["fail_ratio"] = entry.fail_ratio
print(json.dumps(out))
"""


def _locust_says(kind: str, data: Any) -> dict[str, Any]:
    """What Locust's own StatsEntry computes on ``data`` (run in a child process)."""
    done = subprocess.run(
        [sys.executable, "-c", _LOCUST_SAYS],
        check=True,
        capture_output=True,
        input=json.dumps({"kind": kind, "data": data}),
        text=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_percentiles_equal_locust_on_seeded_data() -> None:
    """On the same response times, every percentile equals Locust's StatsEntry."""
    rng = np.random.default_rng(7)
    times = {
        f"/n{n}": [float(ms) for ms in rng.lognormal(3.0, 1.0, size=n)] for n in (2, 7, 40, 333)
    }
    locust = _locust_says("times", times)
    for name, said in locust.items():
        got = {
            r.id: r.samples[0]
            for r in from_locust_json([{**said["serialized"], "name": name}]).results
        }
        for metric, value in said["percentiles"].items():
            assert got[f"load.{name[1:]}.{metric}"] == pytest.approx(value / 1000), (name, metric)


def test_percentile_rule_counts_from_the_top() -> None:
    """Locust's p50 of two requests (1 ms, 2 ms) is 2 ms, not the lower value."""
    assert locust_percentile({1: 1, 2: 1}, 2, 0.5) == 2


def test_real_json_percentiles_equal_locust() -> None:
    """On real --json output, each endpoint's and the total's percentiles equal Locust's."""
    locust = _locust_says("json", json.loads((REAL / "run.json").read_text()))
    results = read_any(REAL / "run.json").by_id()
    for name, said in locust.items():
        for metric, value in said["percentiles"].items():
            got = results[f"load.{_slug(name)}.{metric}"].samples
            assert got == (pytest.approx(value / 1000),), (name, metric)
        assert results[f"load.{_slug(name)}.error_rate"].samples == (
            pytest.approx(said["fail_ratio"]),
        )


def test_json_per_second_counts_keep_idle_seconds() -> None:
    """Per-second counts cover every second of the run, zero where nothing was sent."""
    raw = {e["name"]: e for e in json.loads((REAL / "run.json").read_text())}
    rare = read_any(REAL / "run.json").by_id()["load.rare.throughput"]
    history = rare.extra["history"]
    seconds = history["timestamp"]
    assert seconds == list(range(seconds[0], seconds[-1] + 1))
    assert 0.0 in history["value"]
    assert sum(history["value"]) == raw["/rare"]["num_requests"]
    assert rare.samples == (rare.extra["value"],)


def test_json_throughput_is_locust_total_rps() -> None:
    """Throughput is requests over the run's span, as Locust's total_rps computes it."""
    raw = json.loads((REAL / "run.json").read_text())
    start = min(e["start_time"] for e in raw)
    last = max(e["last_request_timestamp"] for e in raw)
    results = read_any(REAL / "run.json").by_id()
    slow = next(e for e in raw if e["name"] == "/slow")
    assert results["load.slow.throughput"].samples[0] == pytest.approx(
        slow["num_requests"] / (last - start)
    )


def _aggregated_row() -> dict[str, str]:
    with (REAL / "run_stats.csv").open(newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"][-1]


def test_csv_run_totals_come_from_the_aggregated_row() -> None:
    """With history beside it, the values are the final Aggregated row's run totals."""
    row = _aggregated_row()
    results = read_any(REAL / "run_stats.csv").by_id()
    assert results["load.aggregated.throughput"].samples == (float(row["Requests/s"]),)
    assert results["load.aggregated.p95"].samples == (float(row["95%"]) / 1000,)
    assert results["load.aggregated.p99.9"].samples == (float(row["99.9%"]) / 1000,)
    errors = results["load.aggregated.error_rate"]
    assert errors.samples == (int(row["Failure Count"]) / int(row["Request Count"]),)
    assert errors.extra["requests"] == int(row["Request Count"])


def test_csv_history_is_a_time_series_not_samples() -> None:
    """History rows go to extra["history"] with timestamps; every result has one value."""
    results = read_any(REAL / "run_stats.csv").results
    assert all(len(r.samples) == 1 and r.extra["samples_from"] == "single" for r in results)
    with (REAL / "run_stats_history.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Name"] == "Aggregated"]
    p95 = {r.id: r for r in results}["load.aggregated.p95"].extra["history"]
    assert p95["timestamp"] == [int(r["Timestamp"]) for r in rows]
    assert len(p95["value"]) == len(rows)
    assert p95["value"][0] is None  # Locust wrote N/A before the first request


def test_reading_the_history_file_reads_its_stats_file() -> None:
    """Naming *_stats_history.csv reads the run's *_stats.csv totals, not the windows."""
    via_history = read_any(REAL / "run_stats_history.csv")
    assert via_history.results == read_any(REAL / "run_stats.csv").results


def test_slo_throughput_measured_from_locust_csv() -> None:
    """``perfcore slo stats.csv --slo throughput>1/s`` finds Locust's req/s (was 'not measured')."""
    from perfcore.cli import main

    assert (
        main(
            [
                "slo",
                str(REAL / "run_stats.csv"),
                "--slo",
                "throughput>1/s",
                "--target",
                "aggregated",
            ]
        )
        == 0
    )


def test_absurd_time_span_is_not_expanded_second_by_second(tmp_path: Path) -> None:
    """A broken --json file spanning decades warns and drops the series; no memory blow-up."""
    data = json.loads((REAL / "run.json").read_text())
    data[0]["last_request_timestamp"] = 1e15
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    with pytest.warns(InputWarning, match="span"):
        results = read_any(path).by_id()
    assert "history" not in results["load.aggregated.throughput"].extra


def test_folder_with_csv_and_json_of_one_run_is_one_run(tmp_path: Path) -> None:
    """<prefix>_stats.csv and <prefix>.json of one Locust run are read once, not as two runs."""
    for name in ("run_stats.csv", "run_stats_history.csv", "run.json"):
        (tmp_path / name).write_bytes((REAL / name).read_bytes())
    folder = read_any(tmp_path).by_id()
    assert folder == read_any(REAL / "run_stats.csv").by_id()


def test_one_name_under_two_methods_gives_two_targets(tmp_path: Path) -> None:
    """GET / and POST / are two Locust rows; both are read, the second named by its method."""
    lines = (REAL / "run_stats.csv").read_text().splitlines()
    post = lines[1].replace("GET,/,", "POST,/,", 1)
    (tmp_path / "x_stats.csv").write_text("\n".join([*lines[:2], post, *lines[2:]]) + "\n")
    results = read_any(tmp_path / "x_stats.csv").by_id()
    assert "load.root.p50" in results
    assert "load.post_root.p50" in results
    entries = json.loads((REAL / "run.json").read_text())
    root = next(e for e in entries if e["name"] == "/")
    from_json = from_locust_json([*entries, {**root, "method": "POST"}]).by_id()
    assert from_json["load.post_root.p50"].samples == from_json["load.root.p50"].samples


def test_header_only_history_is_no_history(tmp_path: Path) -> None:
    """A history file Locust left with only its header: the totals are read, with a warning."""
    (tmp_path / "x_stats.csv").write_bytes((REAL / "run_stats.csv").read_bytes())
    header = (REAL / "run_stats_history.csv").read_text().splitlines()[0]
    (tmp_path / "x_stats_history.csv").write_text(header + "\n")
    with pytest.warns(InputWarning, match="without its history"):
        results = read_any(tmp_path / "x_stats.csv").by_id()
    assert "history" not in results["load.aggregated.p95"].extra


def test_slo_shows_a_small_rate_with_its_digits(capsys: pytest.CaptureFixture[str]) -> None:
    """A rate under 1 req/s is printed as measured (0.497/s), not rounded to 0/s."""
    from perfcore.cli import main

    assert (
        main(["slo", str(REAL / "run_stats.csv"), "--slo", "throughput>1/s", "--target", "rare"])
        == 1
    )
    assert "measured 0.497/s" in capsys.readouterr().out
