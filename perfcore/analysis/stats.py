"""Pure statistics for comparing two runs, in one import.

:mod:`perfcore.analysis.two_sample` judges the two sides apart (log-scale locations,
their errors, Welch or normal intervals, Mann-Whitney U, Holm);
:mod:`perfcore.analysis.paired_stats` judges interleaved rounds pair by pair, with
variances moderated across benchmarks (:mod:`perfcore.analysis.moderation`). All work
on the natural log of the samples and are vectorised over benchmarks.
"""

from __future__ import annotations

from perfcore.analysis.moderation import moderate_var, squeeze_var
from perfcore.analysis.paired_stats import compare_paired, paired_differences
from perfcore.analysis.two_sample import (
    FloatArray,
    SideEstimates,
    TwoSampleStats,
    compare_arrays,
    estimate_side,
    holm,
    mann_whitney_p,
    median_se_log,
)

__all__ = [
    "FloatArray",
    "SideEstimates",
    "TwoSampleStats",
    "compare_arrays",
    "compare_paired",
    "estimate_side",
    "holm",
    "mann_whitney_p",
    "median_se_log",
    "moderate_var",
    "paired_differences",
    "squeeze_var",
]
