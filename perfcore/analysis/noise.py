"""Noise from repeated no-change runs, and the smallest regression a gate can detect.

Given several runs of the same code, per benchmark:

* ``cv_within`` -- the median over runs of the coefficient of variation of one
  run's samples (the noise pytest-benchmark and asv look at);
* ``sd_between_log`` -- the standard deviation of the log of each run's median.
  Runs on a shared machine drift against each other, so this is usually larger
  than the within-run error of a median; a gate comparing one run with another
  must use it, or it raises false alarms far above its nominal rate;
* ``mdr`` -- the minimum detectable regression: the slowdown that a one-sided
  test at false-alarm rate ``alpha`` flags with probability ``power`` when it
  compares ``current_runs`` runs against ``baseline_runs`` runs::

      mdr = exp((z[1-alpha] + z[power]) * sd_between_log * sqrt(1/b + 1/c)) - 1

Where ``mdr`` exceeds the benchmark's threshold the estimate carries advice:
which part of the noise dominates, and how many runs per side would bring the
detectable regression under the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from perfcore.errors import InputError

__all__ = [
    "MAX_POOLED_DF",
    "NoiseEstimate",
    "between_run_from_medians",
    "estimate_noise",
    "estimate_suite",
    "minimum_detectable",
    "pool_spread",
    "runs_needed",
]

# Standard error of a sample median relative to the mean's, for normal data: sqrt(pi/2).
_MEDIAN_EFFICIENCY = math.sqrt(math.pi / 2)
# Beyond this many runs per side, "run it more" is not advice anyone can follow.
_MANY_RUNS = 100
# A pool of paired-round variances keeps at most this many degrees of freedom (older
# rounds are down-weighted past that), so the prior follows a machine that changes.
MAX_POOLED_DF = 120.0


@dataclass(frozen=True)
class NoiseEstimate:
    """One benchmark's measured noise and what it means for the gate."""

    result_id: str
    runs: int
    samples_per_run: float
    cv_within: float
    sd_between_log: float
    mdr: float
    threshold: float
    advice: str | None = None


def _z_sum(alpha: float, power: float) -> float:
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InputError(f"alpha and power must lie in (0, 1), got {alpha} and {power}")
    return float(stats.norm.ppf(1 - alpha) + stats.norm.ppf(power))


def minimum_detectable(
    sd_between_log: float,
    *,
    alpha: float = 0.01,
    power: float = 0.95,
    baseline_runs: int = 1,
    current_runs: int = 1,
) -> float:
    """The slowdown (fraction) detected with ``power`` at false-alarm rate ``alpha``."""
    spread = sd_between_log * math.sqrt(1 / baseline_runs + 1 / current_runs)
    return math.expm1(_z_sum(alpha, power) * spread)


def runs_needed(
    sd_between_log: float, threshold: float, *, alpha: float = 0.01, power: float = 0.95
) -> int:
    """Runs per side (equal on both) so the detectable regression falls under ``threshold``."""
    if threshold <= 0:
        return 0
    ratio = _z_sum(alpha, power) * sd_between_log / math.log1p(threshold)
    return max(1, math.ceil(2 * ratio * ratio))


def _advice(est: NoiseEstimate, alpha: float, power: float) -> str | None:
    if est.mdr <= est.threshold:
        return None
    within_se = _MEDIAN_EFFICIENCY * est.cv_within / math.sqrt(max(est.samples_per_run, 1))
    drift = math.sqrt(max(est.sd_between_log**2 - within_se**2, 0.0))
    parts = [f"detects {est.mdr:.1%} but the threshold is {est.threshold:.1%}"]
    if within_se >= drift:
        parts.append(
            f"within-run noise dominates (CV {est.cv_within:.1%}): more rounds "
            "per run, or longer rounds (raise --benchmark-min-time)"
        )
    else:
        parts.append(
            f"runs drift against each other ({drift:.1%} between runs): more "
            "processes or runs per side, or interleaved rounds (gate --against)"
        )
    runs = runs_needed(est.sd_between_log, est.threshold, alpha=alpha, power=power)
    if runs > _MANY_RUNS:
        parts.append(
            f"more than {_MANY_RUNS} runs per side would be needed: on this "
            "machine gate it with a larger threshold, or only with interleaved rounds"
        )
    else:
        parts.append(f"about {runs} runs per side would reach the threshold")
    return "; ".join(parts)


def estimate_noise(
    result_id: str,
    runs: Sequence[Sequence[float]],
    *,
    threshold: float = 0.05,
    alpha: float = 0.01,
    power: float = 0.95,
    baseline_runs: int = 1,
    current_runs: int = 1,
) -> NoiseEstimate:
    """Noise of one benchmark from the samples of at least two no-change runs."""
    usable = [np.asarray(r, dtype=np.float64) for r in runs if len(r) > 0]
    if len(usable) < 2:
        raise InputError(f"{result_id}: noise needs at least 2 runs, got {len(usable)}")
    if any(np.any(r <= 0) or not np.all(np.isfinite(r)) for r in usable):
        raise InputError(f"{result_id}: noise needs positive finite samples")
    cvs = [float(r.std(ddof=1) / r.mean()) for r in usable if r.size >= 2]
    cv_within = float(np.median(cvs)) if cvs else 0.0
    log_medians = np.log([float(np.median(r)) for r in usable])
    sd_between = float(log_medians.std(ddof=1))
    mdr = minimum_detectable(
        sd_between, alpha=alpha, power=power, baseline_runs=baseline_runs, current_runs=current_runs
    )
    est = NoiseEstimate(
        result_id=result_id,
        runs=len(usable),
        samples_per_run=float(np.mean([r.size for r in usable])),
        cv_within=cv_within,
        sd_between_log=sd_between,
        mdr=mdr,
        threshold=threshold,
    )
    advice = _advice(est, alpha, power)
    return est if advice is None else replace(est, advice=advice)


def estimate_suite(
    samples: Mapping[str, Sequence[Sequence[float]]],
    *,
    threshold_for: Callable[[str], float] = lambda _id: 0.05,
    alpha: float = 0.01,
    power: float = 0.95,
) -> tuple[NoiseEstimate, ...]:
    """Noise of every benchmark with at least two runs, sorted by id."""
    return tuple(
        estimate_noise(rid, runs, threshold=threshold_for(rid), alpha=alpha, power=power)
        for rid, runs in sorted(samples.items())
        if sum(1 for r in runs if len(r)) >= 2
    )


def between_run_from_medians(
    medians: Mapping[str, Sequence[float]],
    *,
    min_runs: int = 3,
) -> tuple[dict[str, float], dict[str, float]]:
    """Per id, the SD of log run medians and its degrees of freedom (runs - 1).

    The free calibration of saved runs (pytest-benchmark's storage, asv's history of a
    machine): ids with fewer than ``min_runs`` positive medians are left out. A real
    change among the saved runs widens the SD, which makes the gate more cautious,
    never less.
    """
    sd: dict[str, float] = {}
    df: dict[str, float] = {}
    for rid, values in medians.items():
        logs = np.log(np.asarray([v for v in values if v > 0], dtype=np.float64))
        if logs.size < max(min_runs, 2) or not np.all(np.isfinite(logs)):
            continue
        sd[rid] = float(logs.std(ddof=1))
        df[rid] = float(logs.size - 1)
    return sd, df


def pool_spread(
    pool: Mapping[str, tuple[float, float]],
    observed: Mapping[str, tuple[float, float]],
    max_df: float = MAX_POOLED_DF,
) -> dict[str, tuple[float, float]]:
    """``pool`` with ``observed`` folded in: per id, the df-weighted ``(variance, df)``.

    Past ``max_df`` the older part of the pool gives way, keeping the newest
    observation's weight whole. Unusable observations (non-finite or negative
    variance, no degrees of freedom) teach nothing.
    """
    pooled = dict(pool)
    for rid, (var, df) in observed.items():
        if not (math.isfinite(var) and var >= 0 and df > 0):
            continue
        old_var, old_df = pooled.get(rid, (0.0, 0.0))
        if old_df + df > max_df:
            old_df = max(max_df - df, 0.0)
        total = old_df + df
        pooled[rid] = ((old_var * old_df + var * df) / total, total)
    return pooled
