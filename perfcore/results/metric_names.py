"""The one table of load-test metric names shared by readers, ``slo``, reports and claims.

A load result's id is ``load.<target>.<metric>``; ``<metric>`` is always a canonical
name from :data:`METRICS`. Every place that reads a metric name from a person or an
older file (an SLO such as ``rps>5/s``, a claim on ``load.local.rps``, a results file
written before this table) resolves it with :func:`canonical_metric`. docs/metrics.md
lists the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfcore.results.model import Better

__all__ = ["METRICS", "MetricName", "canonical_metric", "split_load_id"]


@dataclass(frozen=True)
class MetricName:
    """A canonical metric name, its unit and direction, and the aliases that mean it."""

    name: str
    unit: str
    better: Better
    aliases: tuple[str, ...] = ()
    meaning: str = ""


_PERCENTILES = ("p50", "p90", "p95", "p99", "p99.9")

METRICS: dict[str, MetricName] = {
    m.name: m
    for m in (
        MetricName(
            "throughput",
            "req/s",
            "higher",
            ("rps", "requests_per_s", "total_rps"),
            "requests per second over the whole run",
        ),
        MetricName(
            "error_rate",
            "ratio",
            "lower",
            ("errors", "failure_rate", "fail_ratio", "failure_ratio"),
            "failed requests / all requests",
        ),
        MetricName("p50", "s", "lower", ("median", "med"), "50th percentile of response time"),
        *(
            MetricName(p, "s", "lower", (), f"{p[1:]}th percentile of response time")
            for p in _PERCENTILES[1:]
        ),
        MetricName("avg", "s", "lower", ("mean", "average"), "mean response time"),
        MetricName("max", "s", "lower", ("maximum",), "slowest response"),
        MetricName(
            "cost_per_1k", "currency", "lower", ("cost_per_1000",), "cost of 1,000 requests"
        ),
    )
}

_ALIASES: dict[str, str] = {
    alias: m.name for m in METRICS.values() for alias in (m.name, *m.aliases)
}
_PERCENTILE = re.compile(r"^p\(?\s*(\d+(?:\.\d+)?)\s*\)?$")


def canonical_metric(name: str) -> str | None:
    """The canonical name for ``name`` (an alias, ``p(95)``, ``p95.0``); None if unknown.

    Any percentile ``pN`` (0 < N < 100) is canonical as ``pN`` with N written
    shortest (``p99.90`` -> ``p99.9``), so percentiles beyond the table still resolve.
    """
    key = name.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    match = _PERCENTILE.match(key.replace(" ", ""))
    if match is None:
        return None
    pct = float(match[1])
    return f"p{pct:g}" if 0 < pct < 100 else None


def split_load_id(result_id: str) -> tuple[str, str] | None:
    """``load.<target>.<metric>`` -> (target, canonical metric); None for other ids.

    The metric is the longest dotted tail that is a known metric name, so targets may
    hold dots (``local.u4``) and ``p99.9`` stays whole.
    """
    if not result_id.startswith("load."):
        return None
    parts = result_id[len("load.") :].split(".")
    for cut in range(1, len(parts)):
        metric = canonical_metric(".".join(parts[cut:]))
        if metric is not None:
            return ".".join(parts[:cut]), metric
    return None
