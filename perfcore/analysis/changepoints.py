"""Change points in a benchmark's history: E-Divisive means with a permutation test.

This is the algorithm MongoDB and Apache Otava (formerly Hunter) run over their
performance histories (Matteson & James 2014, "A nonparametric approach for
multiple change point analysis of multivariate data", with alpha = 1): split a
series where the energy distance between the two sides, weighted by their sizes,

    q(tau) = m*n/(m+n) * (2*E|X-Y| - E|X-X'| - E|Y-Y'|),

is largest; keep the split only if a permutation test says so (the same
statistic on shuffled values rarely reaches it); then repeat on the pieces.

Why not a library: MongoDB's ``signal-processing-algorithms`` pins numpy < 2 and
an older gevent (which would break Locust here), and ``apache-otava`` pulls in
cloud database and chat clients and downgrades numpy and scipy; ``ruptures``
has no significance test. The algorithm is short, so it lives here, vectorised
with numpy: every candidate split of a segment is scored from one 2-D prefix sum
of the pairwise distance matrix, O(n^2) per segment and per permutation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from perfcore.errors import InputError

__all__ = ["ChangePoint", "e_divisive", "find_change_points"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ChangePoint:
    """A shift that begins at ``index`` (the first point of the new level)."""

    index: int
    label: str
    before_mean: float
    after_mean: float
    relative_change: float
    p_value: float


def _split_scores(values: FloatArray, min_size: int) -> FloatArray:
    """q(tau) for every split tau = min_size .. n - min_size (others are -inf)."""
    n = values.size
    dist = np.abs(values[:, None] - values[None, :])
    prefix = np.zeros((n + 1, n + 1))
    prefix[1:, 1:] = dist.cumsum(axis=0).cumsum(axis=1)
    tau = np.arange(n + 1)
    left = prefix[tau, tau]  # sum over both orders of left pairs
    between = prefix[tau, n] - left  # sum over left x right
    right = prefix[n, n] - 2 * prefix[tau, n] + left
    m = tau.astype(np.float64)
    k = n - m
    scores = np.full(n + 1, -np.inf)
    ok = (tau >= min_size) & (tau <= n - min_size)
    m, k = m[ok], k[ok]
    within_left = left[ok] / np.maximum(m * (m - 1), 1)
    within_right = right[ok] / np.maximum(k * (k - 1), 1)
    scores[ok] = m * k / (m + k) * (2 * between[ok] / (m * k) - within_left - within_right)
    return scores


def _best_split(values: FloatArray, min_size: int) -> tuple[int, float]:
    if values.size < 2 * min_size:
        return -1, -np.inf
    scores = _split_scores(values, min_size)
    tau = int(np.argmax(scores))
    return tau, float(scores[tau])


def _p_value(
    values: FloatArray, observed: float, min_size: int, permutations: int, rng: np.random.Generator
) -> float:
    hits = 0
    for _ in range(permutations):
        if _best_split(rng.permutation(values), min_size)[1] >= observed:
            hits += 1
    return (hits + 1) / (permutations + 1)


def e_divisive(
    values: Sequence[float],
    *,
    sig_level: float = 0.05,
    permutations: int = 199,
    min_size: int = 3,
    rng: np.random.Generator | None = None,
) -> tuple[tuple[int, float], ...]:
    """Significant change points as (index, p-value), sorted by index.

    Each round scores the best split of every current segment, tests the
    strongest one by permutation within its segment, and stops at the first
    split that is not significant at ``sig_level``.
    """
    if not 0 < sig_level < 1:
        raise InputError(f"sig_level must lie in (0, 1), got {sig_level}")
    if min_size < 2 or permutations < 1:
        raise InputError("min_size must be at least 2 and permutations at least 1")
    data = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(data)):
        raise InputError("change-point input must be finite numbers")
    generator = rng if rng is not None else np.random.default_rng(0)
    bounds = [0, data.size]
    found: list[tuple[int, float]] = []
    while True:
        candidates = []
        for start, stop in itertools.pairwise(bounds):
            tau, score = _best_split(data[start:stop], min_size)
            if tau > 0:
                candidates.append((score, start, stop, tau))
        if not candidates:
            break
        score, start, stop, tau = max(candidates)
        p_value = _p_value(data[start:stop], score, min_size, permutations, generator)
        if p_value > sig_level:
            break
        found.append((start + tau, p_value))
        bounds = sorted([*bounds, start + tau])
    return tuple(sorted(found))


def find_change_points(
    values: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    sig_level: float = 0.05,
    permutations: int = 199,
    min_size: int = 3,
    rng: np.random.Generator | None = None,
) -> tuple[ChangePoint, ...]:
    """Change points with the label (commit) where each begins and the means either side."""
    tags = list(labels) if labels is not None else [str(i) for i in range(len(values))]
    if len(tags) != len(values):
        raise InputError(f"{len(tags)} labels for {len(values)} values")
    found = e_divisive(
        values, sig_level=sig_level, permutations=permutations, min_size=min_size, rng=rng
    )
    data = np.asarray(values, dtype=np.float64)
    edges = [0, *(i for i, _ in found), data.size]
    points = []
    for pos, (index, p_value) in enumerate(found, start=1):
        before = float(data[edges[pos - 1] : index].mean())
        after = float(data[index : edges[pos + 1]].mean())
        change = after / before - 1 if before != 0 else float("inf")
        points.append(
            ChangePoint(
                index=index,
                label=tags[index],
                before_mean=before,
                after_mean=after,
                relative_change=change,
                p_value=p_value,
            )
        )
    return tuple(points)
