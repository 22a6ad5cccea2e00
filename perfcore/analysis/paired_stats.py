"""Paired statistics: interleaved A/B rounds judged by their per-round differences.

Where both sides were measured in the same rounds (``perfcore gate --against`` runs REF
and the working tree in alternating rounds), the round-to-round drift they share
cancels in each round's difference. :func:`paired_differences` forms those differences,
:func:`~perfcore.analysis.moderation.squeeze_var` fits a prior for their variance across
benchmarks, :func:`~perfcore.analysis.moderation.moderate_var` pools each benchmark's own
variance with it, and :func:`compare_paired` turns them into the same
:class:`~perfcore.analysis.two_sample.TwoSampleStats` rows the unpaired rule gives.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from perfcore.analysis.moderation import moderate_var
from perfcore.analysis.two_sample import (
    FloatArray,
    TwoSampleStats,
    group_medians,
    stats_from_difference,
    two_sided_p,
)

__all__ = ["compare_paired", "paired_differences"]


def paired_differences(
    base: Sequence[float] | FloatArray,
    base_rounds: Sequence[int] | npt.NDArray[np.int64],
    curr: Sequence[float] | FloatArray,
    curr_rounds: Sequence[int] | npt.NDArray[np.int64],
    *,
    lockstep: bool = False,
) -> FloatArray | None:
    """Per round, log median of current minus log median of baseline; None if unpaired.

    The two sides must carry the same set of at least two round labels (interleaved
    A/B rounds: round ``i`` of each side ran back to back), and positive samples.

    ``lockstep``: inside each round the ``k``-th samples of the two sides were timed
    next to each other (``gate --interleave rounds``), so a round's difference is the
    median of the per-sample log ratios instead. On a host that flips between speeds
    for seconds at a time, each side's own median lands on whichever speed held a few
    more of its samples (measured here: 25% apart in one round); adjacent samples share
    the speed, so their ratios do not. A round whose two sides hold different numbers
    of samples (REF and the working tree time a benchmark differently) falls back to
    the difference of medians.
    """
    lb, lc = np.asarray(base_rounds, dtype=np.int64), np.asarray(curr_rounds, dtype=np.int64)
    vb, vc = np.asarray(base, dtype=np.float64), np.asarray(curr, dtype=np.float64)
    if lb.size != vb.size or lc.size != vc.size or vb.size == 0 or vc.size == 0:
        return None
    keys = np.unique(lb)
    if keys.size < 2 or not np.array_equal(keys, np.unique(lc)):
        return None
    if vb.min() <= 0 or vc.min() <= 0:
        return None
    diffs: FloatArray = group_medians(np.log(vc), lc) - group_medians(np.log(vb), lb)
    if lockstep:
        for i, key in enumerate(keys):
            xb, xc = vb[lb == key], vc[lc == key]
            if xb.size == xc.size:
                diffs[i] = float(np.median(np.log(xc) - np.log(xb)))
    return diffs


def compare_paired(
    diffs: Sequence[FloatArray],
    prior_var: FloatArray,
    prior_df: FloatArray,
    *,
    confidence: float,
    mdc_alpha: float,
    guard: str = "none",
) -> TwoSampleStats:
    """Paired comparison of interleaved rounds, one row per benchmark.

    ``diffs[i]`` holds benchmark ``i``'s per-round differences of log medians. The
    location is their mean; its variance is their sample variance, moderated by a
    prior ``(prior_var, prior_df)`` per row (from earlier runs or from the other
    benchmarks, see :func:`squeeze_var`), over the number of rounds. Pairing cancels
    whatever the machine did to both sides of a round; the moderated variance buys the
    degrees of freedom that a handful of rounds cannot.

    A strong prior trusts the spread of earlier runs, so one disturbed round (another
    job slowing one side for a minute) could carry a verdict on its own. ``guard``:

    * ``"spread"``: where this run's own sample variance is significantly larger than
      the prior's (F test at 1%: the run was disturbed), it is judged on its own
      variance, so a disturbed round widens the interval instead of being averaged
      away by the prior;
    * ``"drop"``: the p-value is also computed without the round that pulls hardest
      in the direction of the change, and the larger counts (intersection-union);
    * ``"none"``: the moderated variance alone.
    """
    if guard not in {"none", "spread", "drop"}:
        raise ValueError(f"unknown guard {guard!r}")
    mean = np.array([float(d.mean()) for d in diffs])
    p, se, df = _paired_p(diffs, prior_var, prior_df, floor=guard == "spread")
    if guard == "drop":
        trimmed = [
            np.delete(d, int(np.argmax(d) if m > 0 else np.argmin(d))) if d.size >= 3 else d
            for d, m in zip(diffs, mean, strict=True)
        ]
        p = np.maximum(p, _paired_p(trimmed, prior_var, prior_df)[0])
    return stats_from_difference(mean, se, df, p, confidence=confidence, mdc_alpha=mdc_alpha)


def _disturbed(
    var: FloatArray,
    df: FloatArray,
    prior_var: FloatArray,
    prior_df: FloatArray,
    level: float = 0.01,
) -> npt.NDArray[np.bool_]:
    """Rows whose sample variance exceeds the prior's beyond the F test's 1 - level quantile."""
    out = np.zeros(var.shape, dtype=bool)
    ok = (prior_df > 0) & (df > 0) & np.isfinite(prior_var) & (prior_var > 0)
    if ok.any():
        crit = np.where(
            np.isinf(prior_df[ok]),
            sps.chi2.ppf(1 - level, df[ok]) / df[ok],
            sps.f.ppf(1 - level, df[ok], np.where(np.isinf(prior_df[ok]), 1.0, prior_df[ok])),
        )
        out[ok] = var[ok] / prior_var[ok] > crit
    return out


def _paired_p(
    diffs: Sequence[FloatArray], prior_var: FloatArray, prior_df: FloatArray, *, floor: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Two-sided p-value, standard error and df of the mean difference, per row."""
    k = np.array([d.size for d in diffs], dtype=np.float64)
    mean = np.array([float(d.mean()) for d in diffs])
    var = np.array([float(d.var(ddof=1)) for d in diffs])
    post, df = moderate_var(var, k - 1, prior_var, prior_df)
    if floor:
        post = np.where(_disturbed(var, k - 1, prior_var, prior_df), np.maximum(post, var), post)
    se = np.sqrt(post / k)
    df = np.maximum(df, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, np.abs(mean) / se, np.where(mean == 0, 0.0, np.inf))
    return two_sided_p(stat, df), se, df
