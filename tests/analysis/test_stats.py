"""Statistics of perfcore.analysis.stats on seeded synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from perfcore.analysis import stats


def _lognormal(rng: np.random.Generator, n: int, sigma: float, scale: float = 1.0) -> np.ndarray:
    return scale * np.exp(rng.normal(0.0, sigma, n))


def test_interval_holds_true_ratio_at_stated_rate() -> None:
    """Over 200 seeded simulations the 95% interval holds the true ratio about 95% of the time."""
    rng = np.random.default_rng(2024)
    base, curr = [], []
    for _ in range(200):
        base.append(stats.estimate_side(_lognormal(rng, 60, 0.1)))
        curr.append(stats.estimate_side(_lognormal(rng, 60, 0.1, scale=1.2)))
    res = stats.compare_arrays(base, curr, np.zeros(200), confidence=0.95, mdc_alpha=0.05)
    coverage = np.mean((res.ci_low <= 1.2) & (res.ci_high >= 1.2))
    assert 0.90 <= coverage <= 0.99


def test_rounds_interval_covers_with_drift_between_rounds() -> None:
    """With drift between rounds, the round-level interval still covers the true ratio ~95%."""
    rng = np.random.default_rng(7)
    base, curr = [], []
    labels = [r for r in range(6) for _ in range(30)]
    for _ in range(200):
        drift_b = np.repeat(rng.normal(0, 0.05, 6), 30)
        drift_c = np.repeat(rng.normal(0, 0.05, 6), 30)
        base.append(stats.estimate_side(_lognormal(rng, 180, 0.1) * np.exp(drift_b), labels))
        curr.append(stats.estimate_side(_lognormal(rng, 180, 0.1) * np.exp(drift_c), labels))
    res = stats.compare_arrays(base, curr, np.zeros(200), confidence=0.95, mdc_alpha=0.05)
    coverage = np.mean((res.ci_low <= 1.0) & (res.ci_high >= 1.0))
    assert 0.90 <= coverage <= 0.99


def test_within_run_interval_undercovers_drift_without_between_sd() -> None:
    """Ignoring between-run drift makes the interval far too narrow (why the floor exists)."""
    rng = np.random.default_rng(3)
    base = [
        stats.estimate_side(_lognormal(rng, 500, 0.1) * np.exp(rng.normal(0, 0.05)))
        for _ in range(200)
    ]
    curr = [
        stats.estimate_side(_lognormal(rng, 500, 0.1) * np.exp(rng.normal(0, 0.05)))
        for _ in range(200)
    ]
    naive = stats.compare_arrays(base, curr, np.zeros(200), confidence=0.95, mdc_alpha=0.05)
    folded = stats.compare_arrays(base, curr, np.full(200, 0.05), confidence=0.95, mdc_alpha=0.05)
    naive_cov = np.mean((naive.ci_low <= 1) & (naive.ci_high >= 1))
    folded_cov = np.mean((folded.ci_low <= 1) & (folded.ci_high >= 1))
    assert naive_cov < 0.6
    assert folded_cov >= 0.9


def test_mann_whitney_matches_scipy_asymptotic() -> None:
    """The searchsorted Mann-Whitney p-value equals scipy's asymptotic one, ties included."""
    rng = np.random.default_rng(11)
    a = np.round(rng.normal(10, 1, 300), 1)
    b = np.round(rng.normal(10.2, 1, 250), 1)
    expected = sps.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic").pvalue
    assert stats.mann_whitney_p(a, b) == pytest.approx(expected, rel=1e-9)


def test_mann_whitney_small_samples_use_exact() -> None:
    """Small tie-free samples get scipy's exact p-value."""
    a, b = [1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]
    assert stats.mann_whitney_p(a, b) == pytest.approx(2 / 70)


def test_holm_matches_step_down_definition() -> None:
    """Holm adjusts the smallest p by m, the next by m-1, monotone, capped at 1."""
    adjusted = stats.holm(np.array([0.01, 0.04, 0.03, 0.5]))
    assert adjusted.tolist() == pytest.approx([0.04, 0.09, 0.09, 0.5])


def test_median_se_shrinks_with_sample_size() -> None:
    """The McKean-Schrader SE of the median falls like 1/sqrt(n) (about half at 4x samples)."""
    rng = np.random.default_rng(5)
    small = stats.median_se_log(np.sort(rng.normal(0, 0.1, 400)))
    large = stats.median_se_log(np.sort(rng.normal(0, 0.1, 1600)))
    assert 0.35 < large / small < 0.65


def test_summary_side_uses_iqr() -> None:
    """A summary-only side's variance comes from its IQR and count."""
    side = stats.estimate_side([1.0], summary=(1.0, 0.1349, 100))
    assert side.var == pytest.approx((1.2533 * 0.1 / 10) ** 2, rel=1e-3)


def test_mdc_grows_with_noise() -> None:
    """Noisier benchmarks have larger minimum detectable changes, 95% power above 80%."""
    rng = np.random.default_rng(9)
    quiet = stats.estimate_side(_lognormal(rng, 100, 0.02))
    loud = stats.estimate_side(_lognormal(rng, 100, 0.2))
    res = stats.compare_arrays(
        [quiet, loud], [quiet, loud], np.zeros(2), confidence=0.99, mdc_alpha=0.01
    )
    assert res.mdc80[0] < res.mdc80[1]
    assert np.all(res.mdc95 > res.mdc80)


def test_round_medians_match_numpy() -> None:
    """Round-level medians from the one-sort path equal numpy's per-group medians."""
    rng = np.random.default_rng(21)
    logs = rng.normal(-12, 1, 999)
    labels = rng.integers(3, 10, 999)
    side = stats.estimate_side(np.exp(logs), labels)
    expected = np.array([np.median(logs[labels == g]) for g in np.unique(labels)])
    assert side.rounds
    assert side.units == expected.size
    assert side.loc == pytest.approx(expected.mean(), abs=1e-12)
    assert side.var == pytest.approx(expected.var(ddof=1) / expected.size, rel=1e-9)


# ------------------------------------------------------------------ paired rounds
def _paired_suite(
    rng: np.random.Generator, benchmarks: int, rounds: int, ratio: float, sds: np.ndarray
) -> list[np.ndarray]:
    """Per-benchmark round differences: a drift shared by both sides of a round (10%
    SD, which pairing must cancel) plus each side's own round noise."""
    out = []
    labels = np.repeat(np.arange(rounds), 5)
    for b in range(benchmarks):
        shared = np.repeat(rng.normal(0, 0.10, rounds), 5)
        own_b = np.repeat(rng.normal(0, sds[b], rounds), 5)
        own_c = np.repeat(rng.normal(0, sds[b], rounds), 5)
        base = np.exp(shared + own_b + rng.normal(0, 0.01, labels.size))
        curr = ratio * np.exp(shared + own_c + rng.normal(0, 0.01, labels.size))
        diffs = stats.paired_differences(base, labels, curr, labels)
        assert diffs is not None
        out.append(diffs)
    return out


def test_squeeze_var_recovers_common_variance() -> None:
    """Variances that differ only by sampling give a large prior df and the true variance."""
    rng = np.random.default_rng(11)
    var = 0.02**2 * rng.chisquare(4, 300) / 4
    s0, d0 = stats.squeeze_var(var, np.full(300, 4.0))
    assert d0 > 30
    assert s0 == pytest.approx(0.02**2, rel=0.15)
    spread = np.exp(rng.normal(np.log(0.02**2), 1.5, 300)) * rng.chisquare(4, 300) / 4
    assert stats.squeeze_var(spread, np.full(300, 4.0))[1] < 5  # genuinely different
    assert stats.squeeze_var(np.array([1.0, 2.0]), np.array([3.0, 3.0]))[1] == 0.0


def test_paired_interval_covers_true_ratio_with_suite_prior() -> None:
    """Paired rounds with the moderated variance: the 95% interval holds the ratio ~95%."""
    rng = np.random.default_rng(5)
    sds = np.exp(rng.uniform(np.log(0.005), np.log(0.05), 200))
    diffs = _paired_suite(rng, 200, 5, 1.07, sds)
    var = np.array([d.var(ddof=1) for d in diffs])
    s0, d0 = stats.squeeze_var(var, np.full(200, 4.0))
    res = stats.compare_paired(
        diffs, np.full(200, s0), np.full(200, d0), confidence=0.95, mdc_alpha=0.05
    )
    coverage = np.mean((res.ci_low <= 1.07) & (res.ci_high >= 1.07))
    assert 0.90 <= coverage <= 0.99


def test_pairing_cancels_shared_drift() -> None:
    """A 10% change under 10% round-to-round drift: paired finds it, unpaired rounds do not."""
    rng = np.random.default_rng(9)
    diffs = _paired_suite(rng, 50, 6, 1.10, np.full(50, 0.01))
    known = np.full(50, 2 * 0.01**2)
    paired = stats.compare_paired(
        diffs, known, np.full(50, np.inf), confidence=0.99, mdc_alpha=0.01 / 50
    )
    assert np.mean(stats.holm(paired.p_value) < 0.01) > 0.95
    # The same rounds judged as independent samples (the drift stays in the variance).
    labels = np.arange(6)
    base = [stats.estimate_side(np.exp(rng.normal(0, 0.1, 6)), labels) for _ in range(50)]
    curr = [stats.estimate_side(1.10 * np.exp(rng.normal(0, 0.1, 6)), labels) for _ in range(50)]
    unpaired = stats.compare_arrays(base, curr, np.zeros(50), confidence=0.99, mdc_alpha=0.01 / 50)
    assert np.mean(stats.holm(unpaired.p_value) < 0.01) < 0.2


def test_paired_differences_need_matching_rounds() -> None:
    """Unpaired inputs give None: different round labels, one round, non-positive samples."""
    one = np.ones(4)
    assert stats.paired_differences(one, [0, 0, 1, 1], one, [0, 0, 2, 2]) is None
    assert stats.paired_differences(one, [0, 0, 0, 0], one, [0, 0, 0, 0]) is None
    assert stats.paired_differences(-one, [0, 0, 1, 1], one, [0, 0, 1, 1]) is None
    d = stats.paired_differences(
        [1.0, 1.0, 2.0, 2.0], [0, 0, 1, 1], [2.0, 2.0, 2.0, 2.0], [0, 0, 1, 1]
    )
    assert d is not None
    np.testing.assert_allclose(d, [np.log(2), 0.0], atol=1e-12)


def test_robust_pairs_ignore_one_disturbed_round() -> None:
    """One round slowed 60% on one side: flagged under a strong prior, not when robust."""
    rng = np.random.default_rng(21)
    diffs = [rng.normal(0, 0.02, 5) for _ in range(40)]
    diffs[0][2] += 0.47  # log(1.6)
    prior = np.full(40, 0.02**2)
    prior_df = np.full(40, 100.0)
    plain = stats.compare_paired(diffs, prior, prior_df, confidence=0.99, mdc_alpha=0.01 / 40)
    assert stats.holm(plain.p_value)[0] < 0.01
    shifted = [d + (0.0953 if i == 1 else 0.0) for i, d in enumerate(diffs)]
    for guard in ("spread", "drop"):
        robust = stats.compare_paired(
            diffs, prior, prior_df, confidence=0.99, mdc_alpha=0.01 / 40, guard=guard
        )
        assert stats.holm(robust.p_value)[0] > 0.01
        # A real 10% shift in every round is still found.
        again = stats.compare_paired(
            shifted, prior, prior_df, confidence=0.99, mdc_alpha=0.01 / 40, guard=guard
        )
        assert stats.holm(again.p_value)[1] < 0.01
    with pytest.raises(ValueError, match="guard"):
        stats.compare_paired(diffs, prior, prior_df, confidence=0.99, mdc_alpha=0.01, guard="other")


def _turns_on_flipping_host(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Host speed seen by each side's n samples, taken in turns A B B A ... on a host that
    holds 1.0 or 1.7 for blocks of 2-9 turns (as seen on this machine)."""
    speed = np.empty(2 * n)
    i = 0
    while i < 2 * n:
        block = int(rng.integers(2, 10))
        speed[i : i + block] = rng.choice([1.0, 1.7])
        i += block
    first = np.arange(n) % 2 == 0  # A takes the first turn of even pairs, B of odd ones
    a = np.where(first, speed[0::2], speed[1::2])
    b = np.where(first, speed[1::2], speed[0::2])
    return a, b


def test_lockstep_pairs_samples_that_shared_the_host_speed() -> None:
    """Timed in turns, per-sample ratios cancel a host flipping speed; medians do not."""
    rng = np.random.default_rng(7)
    rounds, n = 12, 30
    labels = np.repeat(np.arange(rounds), n)
    hosts = [_turns_on_flipping_host(rng, n) for _ in range(rounds)]
    host_a = np.concatenate([a for a, _ in hosts])
    host_b = np.concatenate([b for _, b in hosts])
    base = host_a * rng.lognormal(0, 0.01, host_a.size)
    curr = 1.10 * host_b * rng.lognormal(0, 0.01, host_b.size)
    plain = stats.paired_differences(base, labels, curr, labels)
    paired = stats.paired_differences(base, labels, curr, labels, lockstep=True)
    assert plain is not None
    assert paired is not None
    assert paired.std(ddof=1) < 0.1 * plain.std(ddof=1)
    assert abs(paired.mean() - np.log(1.10)) < 0.02


def test_lockstep_falls_back_where_a_round_has_unequal_counts() -> None:
    """A round whose sides time different numbers of samples is a difference of medians."""
    base = [1.0, 2.0, 3.0, 1.0, 1.0]
    curr = [3.0, 2.0, 1.0, 2.0, 2.0, 2.0]
    d = stats.paired_differences(base, [0, 0, 0, 1, 1], curr, [0, 0, 0, 1, 1, 1], lockstep=True)
    assert d is not None
    assert d[0] == pytest.approx(np.median(np.log([3.0, 1.0, 1 / 3])))
    assert d[1] == pytest.approx(np.log(2.0))
