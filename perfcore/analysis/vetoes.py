"""The fast-end check: an uncalibrated one-run-against-one-run verdict must move the minimum too.

Between two processes of the same code, a benchmark's median can jump by half or more
while its fastest rounds stay put: a share of the rounds lands in a slow mode (layout,
scheduling, frequency) whose share differs from process to process. A single run
cannot show that spread, and no default between-run prior covers it without blinding
the gate. A real slowdown of the code, in contrast, moves every round, the fastest
ones included; the minimum is the estimate Python's ``timeit`` documentation and
BenchmarkTools.jl (Chen and Revels, 2016) recommend for exactly this reason.

So where a result has no calibrated between-run SD, both sides carry raw samples and
they are not paired rounds, :func:`fast_end_p` gives a second p-value: the log ratio of
the two minimums, tested against the same default between-run prior as the median
(``sqrt(2)`` of it for two runs), and 1 where the minimums do not move beyond the
threshold in the median's direction. :mod:`perfcore.analysis.verdict_rule` takes the
larger of the p-values (an intersection-union test, valid whenever each part is), so
an uncalibrated ``regressed`` needs both the median and the fast end slower.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from perfcore.analysis.paired_rounds import rounds_of
from perfcore.analysis.two_sample import FloatArray, mann_whitney_p, two_sided_p
from perfcore.results.comparability import basis
from perfcore.results.model import Result

__all__ = [
    "MIN_FAST_END_SAMPLES",
    "MIN_U_SAMPLES",
    "fast_end_applies",
    "fast_end_p",
    "mann_whitney_veto",
]

# Below this many samples on either side U is left out of the decision (see mann_whitney_veto).
MIN_U_SAMPLES = 8
# A minimum of fewer rounds than this is no steadier than the median it checks.
MIN_FAST_END_SAMPLES = 8


def fast_end_applies(base: Result, curr: Result, calibrated: Mapping[str, float]) -> bool:
    """Whether the pair is judged uncalibrated, one run against one run, on raw samples."""
    if base.id in calibrated:
        return False
    if basis(base) != "samples" or basis(curr) != "samples":
        return False
    if rounds_of(base) is not None and rounds_of(curr) is not None:
        return False  # rounds carry their own between-run spread
    return min(len(base.samples), len(curr.samples)) >= MIN_FAST_END_SAMPLES


def fast_end_p(
    rows: Sequence[tuple[Result, Result]],
    arrays: Sequence[tuple[FloatArray, FloatArray]],
    median_log_ratio: FloatArray,
    thresholds: FloatArray,
    *,
    calibrated: Mapping[str, float],
    prior_sd: float,
) -> FloatArray:
    """Per row, the fast end's two-sided p-value (0 where the check does not apply).

    ``arrays``: each side's samples, sorted. ``median_log_ratio``: the median test's log
    ratio, whose direction the fast end must share beyond ``log(1 + threshold)``.
    """
    out = np.zeros(len(rows))
    se = math.sqrt(2.0) * prior_sd
    tested: list[int] = []
    moves: list[float] = []
    for k, ((b, c), (vb, vc)) in enumerate(zip(rows, arrays, strict=True)):
        if not fast_end_applies(b, c, calibrated) or vb[0] <= 0 or vc[0] <= 0:
            continue
        log_ratio = math.log(vc[0] / vb[0])
        same_way = log_ratio * median_log_ratio[k] > 0
        if not same_way or abs(log_ratio) <= math.log1p(thresholds[k]):
            out[k] = 1.0
        elif se > 0:  # a zero prior assumes no between-run noise: the move alone decides
            tested.append(k)
            moves.append(abs(log_ratio) / se)
    if tested:  # one vectorised tail for every tested row
        out[tested] = two_sided_p(np.array(moves), np.full(len(moves), math.inf))
    return out


def mann_whitney_veto(
    b: Result, c: Result, vb: FloatArray, vc: FloatArray, strictest: float
) -> float:
    """The Mann-Whitney half of the test, or 0 where it could never reach the gate's level.

    With few samples a side, U's smallest attainable two-sided p (``2 / C(n, n1)``: 0.1
    at 3 against 3) lies above any Holm level, so requiring it would make the gate
    unable to flag anything; there the between-run-aware location test decides alone,
    as asv falls back to interval overlap when it has too few samples. The same holds
    with fewer than :data:`MIN_U_SAMPLES` on either side: 45 tied samples against 3
    (a deterministic ratio measured three times a run) never reach a Holm level
    through U's tie-corrected normal approximation either.
    """
    if basis(b) == "summary" or basis(c) == "summary":
        return 0.0  # no raw samples to rank: the between-run-aware location test decides
    if min(vb.size, vc.size) < MIN_U_SAMPLES:
        return 0.0
    # comb(40, 20) ~ 1.4e11: beyond that every usable level is attainable.
    small = vb.size + vc.size <= 40
    if small and 2.0 / math.comb(vb.size + vc.size, vc.size) > strictest:
        return 0.0
    return mann_whitney_p(vb, vc, presorted=True)
