"""Load measurements become perfcore results; invalid runs are never numbers."""

import pytest

from perfcore.errors import ConfigError
from perfcore.load.report import format_table, parse_slos
from perfcore.load.results import (
    LoadMeasurement,
    Validity,
    percentiles_from_buckets,
    to_result_set,
)
from perfcore.load.runner import error_kind, require_loopback


def _measurement(**kw) -> LoadMeasurement:
    base = {
        "label": "cloud",
        "target": "cloud",
        "mode": "closed",
        "requests": 1000,
        "ok": 990,
        "errors": {"http_503": 10},
        "duration_s": 10.0,
        "latency_s": {"p50": 0.04, "p99": 0.09, "avg": 0.045},
        "server_mean_s": 0.001,
        "cost_per_1k": 0.2,
        "window_throughput": (99.0, 100.0, 98.0),
    }
    base.update(kw)
    return LoadMeasurement(**base)


def test_percentiles_from_buckets() -> None:
    """Percentiles of a bucketed histogram: 99 ones and one 100 give p50 1, p99.9 100."""
    stats = percentiles_from_buckets({1: 99, 100: 1}, 1e-3)
    assert stats["p50"] == pytest.approx(0.001)
    assert stats["p99.9"] == pytest.approx(0.1)
    assert stats["avg"] == pytest.approx(0.00199)


def test_valid_measurement_results() -> None:
    """Ids, units and directions follow load.<label>.<metric>; network share = client - server."""
    results = to_result_set([_measurement()]).by_id()
    assert results["load.cloud.throughput"].better == "higher"
    assert results["load.cloud.throughput"].samples == (99.0, 100.0, 98.0)
    assert results["load.cloud.p99"].unit == "s"
    assert results["load.cloud.error_rate"].samples == (pytest.approx(0.01),)
    assert results["load.cloud.network_share"].samples == (pytest.approx(0.044),)
    assert results["load.cloud.cost_per_1k"].samples == (0.2,)


def test_invalid_measurement_has_no_numbers() -> None:
    """An invalid run keeps its reason and carries no samples in any result."""
    reason = Validity(min_requests=5000).judge(1000, 10.0)
    results = to_result_set([_measurement(invalid_reason=reason)]).results
    assert all(r.samples == () for r in results)
    assert all(r.extra["valid"] is False and "1000 requests" in r.extra["reason"] for r in results)
    assert "INVALID" in format_table([_measurement(invalid_reason=reason)])


def test_validity_rules() -> None:
    """Too few requests or too short a duration make a run invalid."""
    rules = Validity(min_requests=100, min_duration_s=2)
    assert rules.judge(100, 2.0) == ""
    assert rules.judge(99, 5.0)
    assert rules.judge(500, 1.0)


def test_targeted_slos_parse() -> None:
    """`local:p99<20ms` targets local only; a bare objective targets every target."""
    local, every = parse_slos(["local:p99<20ms", "error_rate<1%"])
    assert (local.target, local.slo.threshold) == ("local", pytest.approx(0.02))
    assert every.target == ""


@pytest.mark.parametrize("url", ["http://10.1.2.3:80", "http://8.8.8.8/"])
def test_non_loopback_targets_are_refused(url: str) -> None:
    """Load is only ever sent to loopback unless a remote URL is asked for."""
    with pytest.raises(ConfigError, match="loopback"):
        require_loopback(url)


def test_error_kinds() -> None:
    """Locust error strings map to short kinds."""
    assert (
        error_kind("HTTPError('503 Server Error: Service Unavailable for url: /p')") == "http_503"
    )
    assert (
        error_kind("ConnectionRefusedError(111, 'Connection refused')") == "ConnectionRefusedError"
    )


def test_a_points_disturbance_reading_reaches_every_result() -> None:
    """A load point's reading rides on each of its results, for the judge's busy rule (a
    hog beside the main job once halved load.local.throughput, unread: exit 1)."""
    reading = {"wall_s": 6.0, "own_cores": 1.0, "foreign_cores": 1.0, "steal_cores": 0.0}
    results = to_result_set([_measurement(disturbance=reading)])
    assert results.results
    assert all(r.extra["disturbance"] == reading for r in results.results)
