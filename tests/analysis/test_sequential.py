"""Tests of the group-sequential look at paired rounds (perfcore.analysis.sequential)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from perfcore.analysis.comparison import Comparison
from perfcore.analysis.sequential import (
    DECISIONS,
    LookEstimate,
    SequentialDesign,
    boundaries,
    decide_arrays,
    decide_look,
    estimate_of,
    obf_spending,
)
from perfcore.errors import InputError

SLOWER, UNCHANGED, RUNNING = (DECISIONS.index(d) for d in ("slower", "unchanged", "running"))


def _simulate(
    design: SequentialDesign,
    *,
    gates: int,
    sd: float,
    shift: float,
    threshold: float = 0.05,
    seed: int = 0,
    stop_inside: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Gates of ``design.family`` results with known per-round SD: each result's decision
    code and the point log ratio at its last look (shape gates x family)."""
    rng = np.random.default_rng(seed)
    n_max, m = design.max_rounds, design.family
    diffs = rng.normal(shift, sd, size=(gates, m, n_max))
    sums = np.cumsum(diffs, axis=2)
    z_ci = float(sps.norm.isf(design.alpha / 2))
    band = np.full((gates, m), math.log1p(threshold))
    decided = np.full((gates, m), RUNNING)
    last = np.zeros((gates, m))
    for n in range(design.min_rounds, n_max + 1):
        running = decided == RUNNING
        mean = sums[:, :, n - 1] / n
        se = sd / math.sqrt(n)
        last[running] = mean[running]
        lo, hi = mean - z_ci * se, mean + z_ci * se
        if not stop_inside:
            lo, hi = -band - 1, band + 1
        codes = decide_arrays(mean, lo, hi, sps.norm.sf(mean / se), band, bound=design.boundary(n))
        decided[running] = codes[running]
    return decided, last


def _upper(hits: int, n: int, level: float = 0.99) -> tuple[float, float]:
    """Clopper-Pearson interval of a rate."""
    lo = sps.beta.ppf((1 - level) / 2, hits, n - hits + 1) if hits else 0.0
    hi = sps.beta.ppf(1 - (1 - level) / 2, hits + 1, n - hits) if hits < n else 1.0
    return float(lo), float(hi)


def test_boundaries_match_the_published_lan_demets_obrien_fleming_values() -> None:
    """Five equal looks at one-sided 0.025 give Jennison & Turnbull's / gsDesign's bounds."""
    published = (4.8769, 3.3569, 2.6803, 2.2898, 2.0310)
    assert boundaries(0.025, (0.2, 0.4, 0.6, 0.8, 1.0)) == pytest.approx(published, abs=5e-4)


def test_one_look_is_the_fixed_sample_test() -> None:
    """With one look the boundary is the one-sided normal quantile at alpha."""
    assert boundaries(0.01, (1.0,))[0] == pytest.approx(float(sps.norm.isf(0.01)))


def test_spending_reaches_alpha_at_full_information() -> None:
    """The spending function grows with information and spends exactly alpha by the end."""
    spent = [obf_spending(t, 0.05) for t in (0.25, 0.5, 0.75, 1.0)]
    assert spent == sorted(spent)
    assert spent[-1] == pytest.approx(0.05)


def test_the_boundary_holds_its_level_exactly_without_other_stops() -> None:
    """Under no change, crossing any look's boundary happens alpha of the time (no futility)."""
    design = SequentialDesign(alpha=0.05, family=1, min_rounds=2, max_rounds=8)
    decided, _ = _simulate(
        design, gates=40_000, sd=0.03, shift=0.0, threshold=0.0, stop_inside=False
    )
    # threshold 0: every crossing counts, so the boundary alone decides the rate
    lo, hi = _upper(int((decided == SLOWER).sum()), decided.size)
    assert lo <= 0.05 <= hi


def test_family_wise_false_slower_rate_stays_below_alpha() -> None:
    """Simulated no-change gates of 10 results: the share with any 'slower' is at most alpha."""
    design = SequentialDesign(alpha=0.10, family=10)
    decided, _ = _simulate(design, gates=20_000, sd=0.03, shift=0.0, threshold=0.0)
    any_alarm = (decided == SLOWER).any(axis=1)
    lo, _ = _upper(int(any_alarm.sum()), any_alarm.size)
    assert lo <= 0.10


def test_a_ten_percent_slowdown_is_never_stopped_as_unchanged() -> None:
    """At +10% (SD 3% a round, 5% threshold) the result goes on to confirmation 99% of runs."""
    design = SequentialDesign(alpha=0.01, family=47)
    decided, last = _simulate(design, gates=4_000, sd=0.03, shift=math.log(1.10))
    to_confirm = (decided == SLOWER) | ((decided == RUNNING) & (last > math.log1p(0.025)))
    assert to_confirm.mean() >= 0.99
    assert (decided == UNCHANGED).mean() <= 0.01


def test_no_change_results_are_mostly_decided_before_the_cap() -> None:
    """Quiet results (SD 1.5% a round) are decided unchanged before the last look."""
    design = SequentialDesign(alpha=0.01, family=47)
    decided, _ = _simulate(design, gates=500, sd=0.015, shift=0.0)
    assert (decided == UNCHANGED).mean() >= 0.99


def _estimate(lr: float, half: float, p_slower: float) -> LookEstimate:
    return LookEstimate("x", lr, lr - half, lr + half, p_slower, math.log1p(0.05))


def test_decide_look_names_each_decision() -> None:
    """Inside the band is unchanged, far beyond is slower or faster, in between runs on."""
    design = SequentialDesign(alpha=0.01, family=1)
    got = [
        decide_look([_estimate(lr, half, p)], 4, design)["x"]
        for lr, half, p in (
            (0.0, 0.01, 0.5),
            (0.3, 0.05, 1e-12),
            (-0.3, 0.05, 1 - 1e-12),
            (0.06, 0.05, 0.01),
        )
    ]
    assert got == ["unchanged", "slower", "faster", "running"]


def test_estimate_of_orients_higher_is_better_results() -> None:
    """A throughput that fell reads as slower (positive log ratio, small p towards slower)."""
    c = Comparison(
        id="rps",
        unit="req/s",
        better="higher",
        baseline_samples=(),
        current_samples=(),
        baseline_median=None,
        current_median=None,
        ratio=0.8,
        ci_low=0.75,
        ci_high=0.85,
        p_value=0.001,
        p_adjusted=0.001,
        threshold=0.05,
        mdc=None,
        verdict="regressed",
    )
    e = estimate_of(c)
    assert e is not None
    assert e.log_ratio == pytest.approx(-math.log(0.8))
    assert e.ci_low == pytest.approx(-math.log(0.85))
    assert e.p_slower == pytest.approx(0.0005)


@pytest.mark.parametrize(("low", "high"), [(1, 8), (4, 3), (2, 101)])
def test_a_design_needs_two_rounds_and_a_cap_above_the_minimum(low: int, high: int) -> None:
    """Fewer than two rounds, a cap below the minimum or above 100, is a usage error."""
    with pytest.raises(InputError):
        SequentialDesign(alpha=0.01, family=5, min_rounds=low, max_rounds=high)
