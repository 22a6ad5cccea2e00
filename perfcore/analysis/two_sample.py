"""Pure statistics for comparing two runs: log-scale locations, intervals, tests, power.

Everything here works on the natural log of the samples, so a ratio of medians is a
difference of log locations and its interval is symmetric in log space.

Each side of a comparison is first reduced to a :class:`SideEstimates` row: a log
location, the variance of that location, and the degrees of freedom of that variance.

* Samples taken in rounds (several runs or interleaved A/B rounds; ``rounds`` labels
  one per sample): the round is the unit of replication. Each round's median of log
  samples is one observation; the location is their mean and its variance is their
  sample variance over the number of rounds, with ``rounds - 1`` degrees of freedom.
  Drift between runs is inside that variance, which is why this is the mode to trust.
* Raw samples from one run: the location is the median of the log samples and its
  standard error is the distribution-free McKean-Schrader estimate (the width of the
  order-statistic confidence interval of the median, divided by ``2 z``). A run's
  median also moves from run to run by more than its within-run error, so
  :func:`compare_arrays` uses the larger of that error and the between-run SD of run
  medians learnt from no-change runs (``perfcore calibrate``) for each side.
* Summary statistics only (median, IQR, count): the asymptotic standard error of the
  median of a normal sample, ``1.2533 * (IQR / 1.349) / sqrt(n)``, relative to the median.

The difference of the two locations is judged with Welch's t (rounds) or a normal
approximation (otherwise): interval, p-value and minimum detectable change all come
from the same standard error, so they agree with each other by construction.
Everything is vectorised over benchmarks; no resampling, so 200 benchmarks of any
sample count are judged in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from perfcore.analysis.moderation import moderate_var

__all__ = [
    "FloatArray",
    "SideEstimates",
    "TwoSampleStats",
    "compare_arrays",
    "estimate_side",
    "group_medians",
    "holm",
    "mann_whitney_p",
    "median_se_log",
    "stats_from_difference",
    "two_sided_p",
]

FloatArray = npt.NDArray[np.float64]

# z for the 95% order-statistic interval used by McKean-Schrader's SE of the median.
_Z95 = 1.959963984540054
# Asymptotic SE of a normal sample's median is sqrt(pi/2) * sigma / sqrt(n).
_MEDIAN_EFFICIENCY = 1.2533141373155003
_IQR_TO_SIGMA = 1.3489795003921634


@dataclass(frozen=True)
class SideEstimates:
    """One side's log location, its variance and degrees of freedom (inf: asymptotic)."""

    loc: float
    var: float
    df: float
    units: int
    rounds: bool


@dataclass(frozen=True)
class TwoSampleStats:
    """Vectorised comparison of current against baseline, one entry per benchmark."""

    log_ratio: FloatArray
    se: FloatArray
    df: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    p_value: FloatArray
    mdc80: FloatArray
    mdc95: FloatArray


def median_se_log(sorted_logs: FloatArray) -> float:
    """McKean-Schrader standard error of the median of already sorted (log) samples."""
    n = sorted_logs.size
    if n < 2:
        return float("inf")
    c = round((n + 1) / 2 - _Z95 * float(np.sqrt(n / 4)))
    if c < 1:
        # Too few samples for the order-statistic interval: fall back to the scaled
        # MAD, the robust SD, through the median's asymptotic efficiency.
        mad = float(np.median(np.abs(sorted_logs - np.median(sorted_logs))))
        return _MEDIAN_EFFICIENCY * 1.4826 * mad / float(np.sqrt(n))
    return float((sorted_logs[n - c] - sorted_logs[c - 1]) / (2 * _Z95))


def estimate_side(
    samples: Sequence[float] | FloatArray,
    rounds: Sequence[int] | npt.NDArray[np.int64] | None = None,
    summary: tuple[float, float, int] | None = None,
    *,
    presorted: bool = False,
) -> SideEstimates:
    """Reduce one side's positive samples to a log location with its variance.

    ``rounds`` labels the round (run) of each sample; with two or more rounds the
    round medians are the units. ``summary`` is ``(median, iqr, n)`` for data that
    kept no raw samples.
    """
    if summary is not None:
        median, iqr, n = summary
        rel_sigma = iqr / _IQR_TO_SIGMA / median
        var = (_MEDIAN_EFFICIENCY * rel_sigma) ** 2 / n if n > 1 else float("inf")
        return SideEstimates(float(np.log(median)), float(var), float("inf"), int(n), False)
    logs = np.log(np.asarray(samples, dtype=np.float64))
    labels = None if rounds is None else np.asarray(rounds, dtype=np.int64)
    if labels is not None and labels.size and labels.min() != labels.max():
        medians = group_medians(logs, labels)
        k = medians.size
        return SideEstimates(
            float(medians.mean()), float(medians.var(ddof=1) / k), float(k - 1), int(k), True
        )
    if not presorted:
        logs.sort()
    se = median_se_log(logs)
    n = logs.size
    median = 0.5 * (logs[(n - 1) // 2] + logs[n // 2])
    return SideEstimates(float(median), se * se, float("inf"), int(n), False)


def group_medians(values: FloatArray, labels: npt.NDArray[np.int64]) -> FloatArray:
    """The median of ``values`` within each label, in label order, without a Python loop."""
    # One sort of label-major keys: spacing the groups wider than the value range keeps
    # them apart and their values ordered inside; the offset comes off exactly enough
    # (an ulp of the key) for a median of logs.
    low = float(values.min())
    span = float(values.max()) - low + 1.0
    _, dense = np.unique(labels, return_inverse=True)
    keys = dense * span + (values - low)
    keys.sort()
    counts = np.bincount(dense)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offsets = np.arange(counts.size) * span - low
    lower = keys[starts + (counts - 1) // 2] - offsets
    upper = keys[starts + counts // 2] - offsets
    medians: FloatArray = 0.5 * (lower + upper)
    return medians


def mann_whitney_p(
    baseline: Sequence[float] | FloatArray,
    current: Sequence[float] | FloatArray,
    *,
    presorted: bool = False,
) -> float:
    """Two-sided Mann-Whitney U p-value; 1.0 when either side has < 2 samples.

    Small samples (16 or fewer in all, no ties) go to scipy's exact distribution.
    Larger ones use the normal approximation with tie and continuity corrections
    -- scipy's ``method="asymptotic"`` formula -- computed from one merge of the two
    sorted samples, because scipy's per-call overhead (~0.5 ms) times a suite of
    hundreds of benchmarks would break the 100 ms budget for judging a suite.
    """
    b = np.asarray(baseline, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    if not presorted:
        b, c = np.sort(b), np.sort(c)
    n1, n2 = c.size, b.size
    if n1 < 2 or n2 < 2 or (b[0] == b[-1] == c[0] == c[-1]):
        return 1.0
    pooled = np.concatenate([b, c])
    order = np.argsort(pooled, kind="stable")  # merges two sorted runs in linear time
    merged = pooled[order]
    tied = merged[1:] == merged[:-1]
    n = n1 + n2
    if not tied.any():
        if n <= 16:
            return float(sps.mannwhitneyu(c, b, alternative="two-sided", method="exact").pvalue)
        # ranks are positions + 1; U of current = its rank sum - n1 (n1 + 1) / 2
        u = float(np.flatnonzero(order >= n2).sum() + n1) - n1 * (n1 + 1) / 2
        tie_term = 0.0
    else:
        below = np.searchsorted(b, c, side="left")
        equal = np.searchsorted(b, c, side="right") - below
        u = float(below.sum() + 0.5 * equal.sum())
        _, ties = np.unique(merged, return_counts=True)
        tie_term = float((ties**3 - ties).sum()) / (n * (n - 1))
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term))
    if sigma == 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))


def _quantile(prob: float | FloatArray, df: FloatArray) -> FloatArray:
    """Student t quantile, the normal one where df is infinite."""
    finite = np.isfinite(df)
    out = np.full(df.shape, sps.norm.ppf(prob), dtype=np.float64)
    if finite.any():
        out[finite] = sps.t.ppf(prob, df[finite])
    return out


def compare_arrays(
    base: Sequence[SideEstimates],
    curr: Sequence[SideEstimates],
    between_sd: FloatArray,
    *,
    confidence: float,
    mdc_alpha: float,
    between_df: FloatArray | None = None,
) -> TwoSampleStats:
    """Log ratio current/baseline, its interval, p-value and detectable change, per row.

    ``between_sd`` is each benchmark's log-scale SD of a run's median between
    no-change runs; rows without rounds on both sides take, per side, the larger of
    that variance (over the number of runs, for a side made of several runs) and the
    side's own variance of its location. ``between_df`` is the degrees of freedom of
    that SD (runs it was learnt from, less one): an SD estimated from eight runs is
    itself uncertain, so those rows use Student's t, not the normal quantile. Where
    both sides are made of rounds (passes of one run, or several runs) and the SD is
    calibrated, each side's variance is the calibrated one moderated by its own
    (:func:`moderate_var`), with the degrees of freedom of both.
    """
    loc_b = np.array([s.loc for s in base])
    loc_c = np.array([s.loc for s in curr])
    var_b = np.array([s.var for s in base])
    var_c = np.array([s.var for s in curr])
    both_rounds = np.array(
        [b.rounds and c.rounds for b, c in zip(base, curr, strict=True)], dtype=bool
    )
    # A run's median varies by at least the calibrated between-run SD (which already
    # holds the within-run error at calibration's sample size) and by at least its
    # own within-run error; rounds on both sides measure all of it themselves.
    floor = np.square(between_sd)
    units_b = np.array([s.units if s.rounds else 1 for s in base], dtype=np.float64)
    units_c = np.array([s.units if s.rounds else 1 for s in curr], dtype=np.float64)
    var = np.where(
        both_rounds,
        var_b + var_c,
        np.maximum(var_b, floor / units_b) + np.maximum(var_c, floor / units_c),
    )
    df = _welch_df(base, curr, var_b, var_c, both_rounds)
    if between_df is not None:
        df = np.where(both_rounds, df, np.maximum(between_df, 1.0))
        # Runs made of passes (or several runs) on both sides, with calibrated noise: each
        # side's variance of one unit is moderated by the calibrated one (Smyth 2004), so
        # three passes are not judged on their own 2 degrees of freedom.
        calibrated = both_rounds & np.isfinite(between_df) & (between_df > 0)
        if calibrated.any():
            mod_var, mod_df = _moderated_sides(base, curr, floor, between_df)
            var = np.where(calibrated, mod_var, var)
            df = np.where(calibrated, mod_df, df)
    se = np.sqrt(var)
    d = loc_c - loc_b
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, np.abs(d) / se, np.where(d == 0, 0.0, np.inf))
    return stats_from_difference(
        d, se, df, two_sided_p(stat, df), confidence=confidence, mdc_alpha=mdc_alpha
    )


def _moderated_sides(
    base: Sequence[SideEstimates],
    curr: Sequence[SideEstimates],
    prior_var: FloatArray,
    prior_df: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Variance of the difference of two round-mean locations, each side's unit variance
    moderated by the prior, with Welch-Satterthwaite degrees of freedom."""
    parts = []
    for sides in (base, curr):
        units = np.array([s.units for s in sides], dtype=np.float64)
        own_df = np.array([s.df for s in sides], dtype=np.float64)
        unit_var = np.array([s.var for s in sides], dtype=np.float64) * units
        post, post_df = moderate_var(unit_var, own_df, prior_var, prior_df)
        parts.append((post / units, post_df))
    (vb, db), (vc, dc) = parts
    return vb + vc, np.maximum(_satterthwaite(vb, db, vc, dc), 1.0)


def _satterthwaite(
    var_b: FloatArray, df_b: FloatArray, var_c: FloatArray, df_c: FloatArray
) -> FloatArray:
    """Welch-Satterthwaite degrees of freedom of a sum of two variances (the smaller df
    where the formula is undefined)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        welch = np.square(var_b + var_c) / (np.square(var_b) / df_b + np.square(var_c) / df_c)
    return np.where(np.isfinite(welch), welch, np.minimum(df_b, df_c))


def stats_from_difference(
    d: FloatArray,
    se: FloatArray,
    df: FloatArray,
    p: FloatArray,
    *,
    confidence: float,
    mdc_alpha: float,
) -> TwoSampleStats:
    """Interval and minimum detectable changes from a log difference, its SE and df."""
    half = _quantile(0.5 + confidence / 2, df) * se
    z_alpha = _quantile(1 - mdc_alpha / 2, df)
    mdc80 = np.expm1((z_alpha + _quantile(0.80, df)) * se)
    mdc95 = np.expm1((z_alpha + _quantile(0.95, df)) * se)
    return TwoSampleStats(
        log_ratio=d,
        se=se,
        df=df,
        ci_low=np.exp(d - half),
        ci_high=np.exp(d + half),
        p_value=p,
        mdc80=mdc80,
        mdc95=mdc95,
    )


def _welch_df(
    base: Sequence[SideEstimates],
    curr: Sequence[SideEstimates],
    var_b: FloatArray,
    var_c: FloatArray,
    both_rounds: npt.NDArray[np.bool_],
) -> FloatArray:
    """Welch-Satterthwaite degrees of freedom where both sides are rounds, else inf."""
    df_b = np.array([s.df for s in base])
    df_c = np.array([s.df for s in curr])
    welch = _satterthwaite(var_b, df_b, var_c, df_c)
    return np.where(both_rounds, np.maximum(welch, 1.0), np.inf)


def two_sided_p(stat: FloatArray, df: FloatArray) -> FloatArray:
    finite = np.isfinite(df)
    p = 2 * sps.norm.sf(stat)
    if finite.any():
        p[finite] = 2 * sps.t.sf(stat[finite], df[finite])
    clipped: FloatArray = np.clip(np.nan_to_num(p, nan=1.0), 0.0, 1.0)
    return clipped


def holm(p_values: FloatArray) -> FloatArray:
    """Holm step-down adjusted p-values (family-wise error control), vectorised."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (m - np.arange(m))
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m, dtype=np.float64)
    out[order] = adjusted_sorted
    return out


# ------------------------------------------------------------------ paired rounds
