"""One table of load metric names, shared by readers, slo, claims and the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from builders import result_set

from perfcore.results.metric_names import METRICS, canonical_metric, split_load_id
from perfcore.results.model import Result, ResultSet
from perfcore.results.readers import read_any

ROOT = Path(__file__).parent.parent.parent
REAL = ROOT / "tests" / "fixtures" / "locust" / "real"


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("rps", "throughput"),
        ("THROUGHPUT", "throughput"),
        ("median", "p50"),
        ("med", "p50"),
        ("p(95)", "p95"),
        ("p95.0", "p95"),
        ("p99.90", "p99.9"),
        ("p75", "p75"),
        ("mean", "avg"),
        ("fail_ratio", "error_rate"),
        ("p100", None),
        ("latency", None),
    ],
)
def test_canonical_metric_resolves_aliases(name: str, canonical: str | None) -> None:
    """Aliases and percentile spellings map to one canonical name; unknown names to None."""
    assert canonical_metric(name) == canonical


def test_split_load_id_keeps_dotted_targets_and_p99_9() -> None:
    """Targets may hold dots and p99.9 stays whole; the metric comes back canonical."""
    assert split_load_id("load.local.u4.p99.9") == ("local.u4", "p99.9")
    assert split_load_id("load.aggregated.rps") == ("aggregated", "throughput")
    assert split_load_id("load.local.p99_uncorrected") is None
    assert split_load_id("training.x.y") is None


def test_locust_readers_write_canonical_names() -> None:
    """Every Locust result id ends in a canonical metric name of the table."""
    for path in (REAL / "run_stats.csv", REAL / "run.json"):
        for result in read_any(path).results:
            split = split_load_id(result.id)
            assert split is not None, result.id
            assert result.id.endswith("." + split[1]), result.id
            assert split[1] in METRICS
            assert (result.unit, result.better) == (
                METRICS[split[1]].unit,
                METRICS[split[1]].better,
            )


def _run(*results: Result) -> ResultSet:
    return result_set(*results, machine_id="m")


def test_slo_accepts_an_alias_and_reads_an_old_rps_id() -> None:
    """An objective on rps judges throughput, also from a file that named it rps."""
    from perfcore.analysis.slo import evaluate_slos, metrics_from_results, parse_slo

    old = _run(Result(id="load.local.rps", unit="req/s", better="higher", samples=(4.7,)))
    slo = parse_slo("rps>1/s")
    assert slo.metric == "throughput"
    (outcome,) = evaluate_slos([slo], metrics_from_results(old, "local"))
    assert (outcome.measured, outcome.passed) == (4.7, True)


def test_claim_on_an_alias_finds_the_canonical_result() -> None:
    """A claim written on load.local.rps is measured by load.local.throughput."""
    from perfcore.analysis.claims import judge_claims
    from perfcore.results.claims_file import Claim

    claim = Claim("rate", "at least 3 req/s", "load.local.rps", "req/s", min=3)
    result = Result(id="load.local.throughput", unit="req/s", better="higher", samples=(4.7,))
    (verdict,) = judge_claims([claim], {result.id: result})
    assert (verdict.status, verdict.measured) == ("confirmed", 4.7)


def test_report_groups_an_alias_with_throughput() -> None:
    """The report's load view charts an rps result as throughput."""
    from perfcore.report.sections import load_view

    view = load_view([Result(id="load.local.rps", unit="req/s", better="higher", samples=(4.7,))])
    assert [p.metric for p in view.throughput] == ["throughput"]


def test_docs_table_lists_every_name_and_alias() -> None:
    """docs/metrics.md shows each canonical name with exactly its aliases."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    for metric in METRICS.values():
        row = re.search(rf"^\| `{re.escape(metric.name)}` \|.*$", text, re.MULTILINE)
        assert row is not None, metric.name
        cells = [c.strip() for c in row.group(0).strip("|").split("|")]
        assert cells[1:3] == [metric.unit, metric.better]
        assert re.findall(r"`([^`]+)`", cells[3]) == list(metric.aliases)
