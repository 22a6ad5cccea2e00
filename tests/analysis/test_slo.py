"""k6-style service levels: parsing into SI units and judging measured metrics."""

import pytest

from perfcore.analysis.slo import Slo, evaluate_slos, parse_slo
from perfcore.errors import InputError
from perfcore.results.model import ResultSet


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold"),
    [
        ("p99<20ms", "p99", "<", 0.020),
        ("p50<=5ms", "p50", "<=", 0.005),
        ("p99.9<100ms", "p99.9", "<", 0.100),
        ("p(95) < 200", "p95", "<", 0.200),
        ("avg<10ms", "avg", "<", 0.010),
        ("max<1s", "max", "<", 1.0),
        ("med<250us", "p50", "<", 0.00025),
        ("error_rate<1%", "error_rate", "<", 0.01),
        ("error_rate<=0.001", "error_rate", "<=", 0.001),
        ("throughput>5000/s", "throughput", ">", 5000.0),
        ("throughput>=800rps", "throughput", ">=", 800.0),
    ],
)
def test_parse_normalises_units(text: str, metric: str, op: str, threshold: float) -> None:
    """Each accepted form becomes metric, operator and an SI threshold."""
    slo = parse_slo(text)
    assert (slo.metric, slo.op) == (metric, op)
    assert slo.threshold == pytest.approx(threshold)
    assert slo.text == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "p99",
        "p99<",
        "p99<<20ms",
        "latency<20ms",
        "p99<20parsecs",
        "throughput>5000ms",
        "error_rate<1ms",
        "p0<1ms",
        "p100<1ms",
        "p99=20ms",
    ],
)
def test_malformed_text_is_an_input_error(text: str) -> None:
    """Anything outside the grammar is refused with InputError (exit 2)."""
    with pytest.raises(InputError):
        parse_slo(text)


def test_evaluate_passes_and_misses() -> None:
    """Measured values are compared with the operator; the outcome keeps the number."""
    slos = [parse_slo("p99<20ms"), parse_slo("throughput>5000/s"), parse_slo("error_rate<1%")]
    metrics = {"p99": 0.025, "throughput": 6000.0, "error_rate": 0.0}
    outcomes = evaluate_slos(slos, metrics)
    assert [o.passed for o in outcomes] == [False, True, True]
    assert outcomes[0].measured == pytest.approx(0.025)


def test_boundary_respects_strictness() -> None:
    """p50<=5ms holds at exactly 5 ms; p50<5ms does not."""
    metrics = {"p50": 0.005}
    assert evaluate_slos([parse_slo("p50<=5ms")], metrics)[0].passed
    assert not evaluate_slos([parse_slo("p50<5ms")], metrics)[0].passed


def test_missing_metric_fails() -> None:
    """An objective whose metric was not measured fails, with no measured value."""
    outcome = evaluate_slos([Slo("p99.9", "<", 0.1, "p99.9<100ms")], {"p99": 0.01})[0]
    assert outcome.measured is None
    assert not outcome.passed


def _load_results() -> ResultSet:
    from perfcore.results.model import Machine, Result, RunInfo

    machine = Machine(id="m", cpu="", cores=1, ram_bytes=1, os="", python="")

    def r(rid: str, unit: str, value: float, **extra: object) -> Result:
        return Result(
            id=rid,
            unit=unit,
            better="lower",
            samples=(value, value * 3),
            extra={"value": value, **extra},
        )

    return ResultSet(
        run=RunInfo(created="t", machine=machine),
        results=(
            r("load.local.p99", "ms", 12.0),
            r("load.local.error_rate", "%", 0.5),
            r("load.local.throughput", "req/s", 5100.0),
            r("load.cloud.p99", "s", 0.2),
            r("load.local.p50_uncorrected", "s", 0.001),
            r("load.cloud.p99.9", "s", 0.3),
            Result(
                id="load.local.max", unit="s", better="lower", samples=(), extra={"valid": False}
            ),
        ),
    )


def test_metrics_from_results_normalises_and_skips_invalid() -> None:
    """Load results become SI metrics for one target; invalid or unknown metrics are left out."""
    from perfcore.analysis.slo import load_targets, metrics_from_results

    results = _load_results()
    assert load_targets(results) == ("cloud", "local")
    metrics = metrics_from_results(results, "local")
    assert metrics == pytest.approx({"p99": 0.012, "error_rate": 0.005, "throughput": 5100.0})
    assert metrics_from_results(results, "cloud") == pytest.approx({"p99": 0.2, "p99.9": 0.3})
