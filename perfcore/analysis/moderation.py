"""Empirical-Bayes variance moderation: a prior fitted across benchmarks, pooled with each.

Few rounds give each benchmark a variance with few degrees of freedom. As limma does for
gene-wise variances, :func:`squeeze_var` fits a scaled inverse-chi-square prior to the
variances of many benchmarks, and :func:`moderate_var` pools each benchmark's own
variance with a prior, adding their degrees of freedom.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import special as spf

# The same alias as perfcore.analysis.two_sample.FloatArray, which builds on this module.
FloatArray = npt.NDArray[np.float64]

__all__ = ["moderate_var", "squeeze_var"]


def _trigamma_inverse(x: float) -> float:
    """The y with trigamma(y) = x (Newton's method on 1/trigamma, as in limma)."""
    if x > 1e7:
        return 1.0 / math.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(spf.polygamma(1, y))
        step = tri * (1.0 - tri / x) / float(spf.polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    return y


def squeeze_var(var: FloatArray, df: FloatArray) -> tuple[float, float]:
    """Prior ``(s0^2, d0)`` of sample variances, fitted across benchmarks (limma's fitFDist).

    Models each variance as ``s0^2`` times a scaled F (chi-square mixing) with ``d0``
    prior degrees of freedom, by matching the mean and variance of ``log s^2`` (Smyth
    2004). ``d0`` is ``inf`` when the variances vary no more than sampling explains,
    and small when benchmarks differ genuinely; zero or infinite variances are left out.
    Returns ``(nan, 0)`` when fewer than three variances are usable.
    """
    v, d = np.asarray(var, dtype=np.float64), np.asarray(df, dtype=np.float64)
    ok = np.isfinite(v) & (v > 0) & np.isfinite(d) & (d > 0)
    if ok.sum() < 3:
        return float("nan"), 0.0
    v, d = v[ok], d[ok]
    e = np.log(v) - spf.digamma(d / 2) + np.log(d / 2)
    emean = float(e.mean())
    evar = float(np.sum((e - emean) ** 2) / (e.size - 1) - np.mean(spf.polygamma(1, d / 2)))
    if evar <= 0:
        return math.exp(emean), math.inf
    d0 = 2.0 * _trigamma_inverse(evar)
    s0 = math.exp(emean + float(spf.digamma(d0 / 2)) - math.log(d0 / 2))
    return s0, d0


def moderate_var(
    var: FloatArray, df: FloatArray, prior_var: FloatArray, prior_df: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Posterior variances and degrees of freedom: ``(d0 s0^2 + d s^2) / (d0 + d)``.

    ``prior_df`` 0 leaves a row as it is; ``inf`` replaces its variance by the prior.
    """
    d0 = np.asarray(prior_df, dtype=np.float64)
    s0 = np.where(d0 > 0, np.asarray(prior_var, dtype=np.float64), 0.0)
    with np.errstate(invalid="ignore"):
        post = np.where(
            np.isinf(d0), s0, (d0 * s0 + df * var) / np.where(d0 + df > 0, d0 + df, 1.0)
        )
    return post, d0 + df
