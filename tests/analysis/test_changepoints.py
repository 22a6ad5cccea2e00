"""E-Divisive means: finds known shifts in seeded synthetic series, stays quiet on noise."""

import numpy as np
import pytest

from perfcore.analysis.changepoints import e_divisive, find_change_points
from perfcore.errors import InputError


def _steps(levels: list[tuple[float, int]], sd: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(level, sd, size) for level, size in levels])


def test_single_shift_is_found_at_its_first_point() -> None:
    """A 10% step after 25 runs is reported at index 25 with its commit label."""
    values = _steps([(1.0, 25), (1.1, 20)], 0.01, seed=1)
    labels = [f"c{i}" for i in range(values.size)]
    points = find_change_points(values, labels, rng=np.random.default_rng(0))
    assert [p.index for p in points] == [25]
    assert points[0].label == "c25"
    assert points[0].relative_change == pytest.approx(0.10, abs=0.01)
    assert points[0].before_mean == pytest.approx(1.0, abs=0.01)


def test_two_shifts_are_both_found_with_means_of_their_own_segments() -> None:
    """Up then down: both points found; each before/after mean is its neighbouring segment's."""
    values = _steps([(10.0, 30), (12.0, 30), (11.0, 30)], 0.2, seed=2)
    points = find_change_points(values, sig_level=0.01, rng=np.random.default_rng(1))
    assert [p.index for p in points] == [30, 60]
    assert points[0].after_mean == pytest.approx(12.0, abs=0.1)
    assert points[1].before_mean == pytest.approx(12.0, abs=0.1)
    assert points[1].relative_change < 0


def test_pure_noise_rarely_yields_a_change_point() -> None:
    """On 40 stationary series, false change points stay near the 5% significance level."""
    hits = sum(
        bool(
            e_divisive(
                np.random.default_rng(seed).normal(5, 1, 40),
                permutations=99,
                rng=np.random.default_rng(seed + 1000),
            )
        )
        for seed in range(40)
    )
    assert hits <= 6


def test_short_series_has_no_change_point() -> None:
    """Fewer points than two minimum segments give nothing, not an error."""
    assert e_divisive([1.0, 2.0, 3.0, 4.0, 5.0]) == ()


def test_same_seed_gives_same_answer() -> None:
    """The permutation test is driven by the given Generator, so results repeat."""
    values = _steps([(1.0, 15), (1.05, 15)], 0.03, seed=3)
    first = e_divisive(values, rng=np.random.default_rng(7))
    second = e_divisive(values, rng=np.random.default_rng(7))
    assert first == second


@pytest.mark.parametrize("values", [[1.0, float("nan"), 2.0], [1.0, float("inf")]])
def test_non_finite_values_are_rejected(values: list[float]) -> None:
    """NaN or infinite points are an input error, not a silent change point."""
    with pytest.raises(InputError):
        e_divisive(values)


def test_labels_must_match_values() -> None:
    """A label list of the wrong length is an input error."""
    with pytest.raises(InputError):
        find_change_points([1.0] * 10, ["a"])
