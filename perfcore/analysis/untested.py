"""Comparisons that take no test: a result on one side only (``new``, ``missing``), a
benchmark whose code changed between the sides (``incomparable``), values off the log
scale (``noisy``, or ``unchanged`` when identical); and the medians they report."""

from __future__ import annotations

import numpy as np

from perfcore.analysis import stats
from perfcore.analysis.comparison import Comparison, Verdict
from perfcore.errors import InputError
from perfcore.results.model import Result

__all__ = ["incomparable", "median_of", "one_sided", "summary_of", "undecidable"]


def summary_of(result: Result) -> tuple[float, float, int] | None:
    if result.extra.get("samples_from") != "summary":
        return None
    summary = result.extra.get("summary", {})
    try:
        return float(summary["median"]), float(summary["iqr"]), int(summary["n"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"result {result.id}: summary statistics incomplete") from None


def median_of(result: Result, ordered: stats.FloatArray | None = None) -> float | None:
    """The median of a result (``ordered``: its samples, already sorted)."""
    summary = summary_of(result)
    if summary is not None:
        return summary[0]
    if not result.samples:
        return None
    if ordered is None:
        return float(np.median(result.samples))
    n = ordered.size
    return float(0.5 * (ordered[(n - 1) // 2] + ordered[n // 2]))


def one_sided(result: Result, verdict: Verdict, threshold: float) -> Comparison:
    med = median_of(result)

    def side(name: Verdict) -> tuple[tuple[float, ...], float | None]:
        return (result.samples, med) if verdict == name else ((), None)

    (bs, mb), (cs, mc) = side("missing"), side("new")
    return _without_test(result, (bs, cs), (mb, mc), None, threshold, verdict=verdict)


def incomparable(base: Result, curr: Result, threshold: float) -> Comparison:
    """A pair whose benchmark code changed between the sides: reported, never compared."""
    basis = (
        f"benchmark version changed ({base.extra.get('version')} -> {curr.extra.get('version')})"
    )
    return _untested(base, curr, threshold, verdict="incomparable", basis=basis)


def undecidable(base: Result, curr: Result, threshold: float) -> Comparison:
    """A pair that cannot be judged on a log scale (empty or non-positive samples)."""
    same = base.samples == curr.samples and bool(base.samples)
    verdict: Verdict = "unchanged" if same else "noisy"
    return _untested(base, curr, threshold, verdict=verdict, basis="not on a log scale")


def _untested(
    base: Result, curr: Result, threshold: float, *, verdict: Verdict, basis: str
) -> Comparison:
    """Both sides reported with their medians (and their ratio when one is defined)."""
    mb, mc = median_of(base), median_of(curr)
    ratio = mc / mb if verdict != "incomparable" and mb and mc is not None and mb > 0 else None
    samples = (base.samples, curr.samples)
    return _without_test(base, samples, (mb, mc), ratio, threshold, verdict=verdict, basis=basis)


def _without_test(
    result: Result,
    samples: tuple[tuple[float, ...], tuple[float, ...]],
    medians: tuple[float | None, float | None],
    ratio: float | None,
    threshold: float,
    *,
    verdict: Verdict,
    basis: str = "",
) -> Comparison:
    """A comparison of ``result``'s benchmark with no interval and no test."""
    return Comparison(
        id=result.id,
        unit=result.unit,
        better=result.better,
        baseline_samples=samples[0],
        current_samples=samples[1],
        baseline_median=medians[0],
        current_median=medians[1],
        ratio=ratio,
        ci_low=None,
        ci_high=None,
        p_value=None,
        p_adjusted=None,
        threshold=threshold,
        mdc=None,
        verdict=verdict,
        basis=basis,
    )
