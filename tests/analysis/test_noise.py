"""Noise estimates from no-change runs, the minimum detectable regression, and pooling."""

import math

import numpy as np
import pytest

from perfcore.analysis.noise import (
    estimate_noise,
    estimate_suite,
    minimum_detectable,
    pool_spread,
    runs_needed,
)
from perfcore.errors import InputError


def _runs(k: int, n: int, cv: float, drift: float, seed: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    levels = np.exp(rng.normal(0, drift, k))
    return [list(level * (1 + rng.normal(0, cv, n))) for level in levels]


def test_estimates_recover_known_noise() -> None:
    """Seeded runs with 5% within-run CV and 4% drift are estimated close to both."""
    est = estimate_noise("b", _runs(60, 200, cv=0.05, drift=0.04, seed=1))
    assert est.cv_within == pytest.approx(0.05, rel=0.1)
    assert est.sd_between_log == pytest.approx(0.04, rel=0.25)
    assert est.runs == 60


def test_minimum_detectable_formula() -> None:
    """mdr = exp((z_0.99 + z_0.95) * sd * sqrt(2)) - 1 for one run against one."""
    expected = math.expm1((2.3263 + 1.6449) * 0.02 * math.sqrt(2))
    assert minimum_detectable(0.02) == pytest.approx(expected, rel=1e-3)
    assert minimum_detectable(0.02, baseline_runs=4, current_runs=4) < minimum_detectable(0.02)


def test_quiet_benchmark_has_no_advice() -> None:
    """When the detectable regression is under the threshold there is nothing to advise."""
    est = estimate_noise("b", _runs(10, 50, cv=0.01, drift=0.001, seed=2), threshold=0.05)
    assert est.mdr < 0.05
    assert est.advice is None


def test_drifting_benchmark_gets_advice_about_runs() -> None:
    """Large between-run drift yields advice naming drift and a number of runs per side."""
    est = estimate_noise("b", _runs(12, 200, cv=0.01, drift=0.04, seed=3), threshold=0.05)
    assert est.advice is not None
    assert "drift" in est.advice
    assert f"about {runs_needed(est.sd_between_log, 0.05)} runs" in est.advice


def test_noisy_rounds_get_advice_about_rounds() -> None:
    """When within-run noise dominates, the advice asks for more or longer rounds."""
    est = estimate_noise("b", _runs(12, 5, cv=0.30, drift=0.0, seed=4), threshold=0.05)
    assert est.advice is not None
    assert "rounds" in est.advice


def test_one_run_is_not_enough() -> None:
    """Between-run noise needs two runs at least."""
    with pytest.raises(InputError):
        estimate_noise("b", [[1.0, 2.0]])


def test_suite_skips_benchmarks_seen_once_and_uses_thresholds() -> None:
    """estimate_suite covers ids with >= 2 runs and asks threshold_for per id."""
    samples = {"a": _runs(3, 10, 0.02, 0.01, 5), "b": _runs(1, 10, 0.02, 0.01, 6)}
    suite = estimate_suite(samples, threshold_for=lambda rid: 0.2)
    assert [e.result_id for e in suite] == ["a"]
    assert suite[0].threshold == 0.2


def test_hopeless_benchmark_is_told_so() -> None:
    """When hundreds of runs would be needed, the advice says to change the threshold instead."""
    est = estimate_noise("b", _runs(12, 50, cv=0.01, drift=0.5, seed=7), threshold=0.05)
    assert est.advice is not None
    assert "larger threshold" in est.advice


def test_pools_variances_weighted_by_df() -> None:
    """Two gate runs pool to the df-weighted variance; a new id joins the pool."""
    pool = pool_spread(pool_spread({}, {"a": (0.01, 4.0)}), {"a": (0.04, 2.0), "b": (0.5, 1.0)})
    assert pool["a"] == pytest.approx((0.02, 6.0))
    assert pool["b"] == pytest.approx((0.5, 1.0))


def test_pool_cap_keeps_newest_weight() -> None:
    """Past the df cap, older rounds give way so a changed machine is followed."""
    pool = pool_spread(pool_spread({}, {"a": (1.0, 10.0)}, max_df=12), {"a": (3.0, 4.0)}, max_df=12)
    assert pool["a"] == pytest.approx(((1.0 * 8 + 3.0 * 4) / 12, 12.0))


def test_pool_ignores_unusable_observations() -> None:
    """NaN variances and zero df teach nothing."""
    assert not pool_spread({}, {"a": (float("nan"), 4.0), "b": (0.1, 0.0)})
