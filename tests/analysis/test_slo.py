"""k6-style service levels: parsing into SI units and judging measured metrics."""

import pytest

from perfcore.analysis.slo import Slo, evaluate_slos, parse_slo
from perfcore.errors import InputError


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
    "text", ["", "p99", "p99<", "p99<<20ms", "latency<20ms", "p99<20parsecs",
             "throughput>5000ms", "error_rate<1ms", "p0<1ms", "p100<1ms", "p99=20ms"],
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
