"""Results timed while other processes used the CPU: ``disturbed``, never ``regressed``.

Each pytest-benchmark result that perfcore's plugin saw carries ``extra["disturbance"]``:
one reading per run (pass or round) of the CPU other processes used while it was timed
(:mod:`perfcore.instrument.disturbance`). The rule, per result that looks slower
(``regressed``, or ``noisy`` with a slower point ratio):

1. The result is *busy* when its worst run saw foreign CPU plus steal of at least
   :data:`BUSY_CORES` (a quarter of a core, averaged over the time it was timed).
2. The load explains a slowdown up to ``explainable_slowdown`` (starvation of the cores
   the work needed, measured on the quiet baseline, or interference per foreign core).
3. A busy result whose work got under 90% of the CPU it needs (time-sliced with other
   processes: starved) is ``disturbed`` whatever its ratio: time slicing against the
   benchmark's samples bounds nothing (8x was seen at a third of a core).
4. Otherwise a busy ``regressed`` result stays regressed only when its point slowdown is beyond
   that bound times ``1 + threshold`` (the part the load cannot explain is itself
   beyond the threshold, as the verdict rule asks of any regression); otherwise, and
   for a busy ``noisy`` one, the verdict becomes ``disturbed``.

The gate exits 2 on a disturbed result when nothing regressed beyond explanation,
naming the load, so a busy machine never fails a build and never passes one silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from perfcore.analysis.compare import Comparison, SuiteComparison
from perfcore.instrument.disturbance import Disturbance, explainable_slowdown, starved
from perfcore.results.model import Result, ResultSet

__all__ = ["BUSY_CORES", "disturbance_of", "is_busy", "mark_disturbed"]

# Foreign CPU (plus steal), in cores averaged over the timed stretch, that makes a
# reading busy. A quarter of a core on a 2-core machine: a busy loop of a quarter of
# the time, far above the background of an idle machine (below 0.05 cores here).
BUSY_CORES = 0.25


def _readings(result: Result) -> list[Disturbance]:
    raw = result.extra.get("disturbance")
    items: list[Any] = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    out = []
    for item in items:
        try:
            out.append(Disturbance.from_dict(item))
        except (KeyError, TypeError, ValueError):
            continue  # an unreadable reading says nothing
    return out


def disturbance_of(result: Result) -> Disturbance | None:
    """The busiest reading of ``result`` (foreign plus steal), None without one."""
    readings = _readings(result)
    return max(readings, key=lambda d: d.foreign_cores + d.steal_cores) if readings else None


def is_busy(result: Result) -> bool:
    """Whether ``result``'s busiest reading saw at least :data:`BUSY_CORES` of foreign CPU
    plus steal (False without a reading)."""
    d = disturbance_of(result)
    return d is not None and d.foreign_cores + d.steal_cores >= BUSY_CORES


def _slowdown_bounds(c: Comparison) -> tuple[float, float] | None:
    """(point, fast end of the interval) of ``c``'s slowdown factor, None if not slower."""
    if c.ratio is None or c.ci_low is None or c.ci_high is None:
        return None
    if c.better == "lower":
        point, low = c.ratio, c.ci_low
    else:
        point, low = 1 / c.ratio, 1 / c.ci_high if c.ci_high > 0 else 0.0
    return (point, low) if point > 1.0 else None


def _judged(c: Comparison, base: Result | None, curr: Result) -> Comparison:
    now = disturbance_of(curr)
    bounds = _slowdown_bounds(c)
    if now is None or bounds is None or now.foreign_cores + now.steal_cores < BUSY_CORES:
        return c
    quiet = disturbance_of(base) if base is not None else None
    bound = explainable_slowdown(now, quiet)
    note = (
        f"{now.foreign_cores:.2f} cores used by other processes while timed "
        f"(steal {now.steal_cores:.2f}), explaining up to {bound:.2f}x"
    )
    if starved(now, quiet):
        note += "; the work was starved of CPU (time-sliced), so no slowdown is trusted"
    elif c.verdict == "regressed" and bounds[0] > bound * (1 + c.threshold):
        return replace(c, basis=f"{c.basis}; {note}: beyond it", foreign_cores=now.foreign_cores)
    if c.verdict not in ("regressed", "noisy"):
        return c
    return replace(
        c, verdict="disturbed", basis=f"{c.basis}; {note}", foreign_cores=now.foreign_cores
    )


def mark_disturbed(
    suite: SuiteComparison, baseline: ResultSet, current: ResultSet
) -> SuiteComparison:
    """``suite`` with busy slower results ``disturbed`` (the module's rule)."""
    base: Mapping[str, Result] = baseline.by_id()
    curr: Mapping[str, Result] = current.by_id()
    judged = tuple(
        _judged(c, base.get(c.id), curr[c.id]) if c.id in curr else c for c in suite.comparisons
    )
    return replace(suite, comparisons=judged)
