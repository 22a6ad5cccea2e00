"""Sequential rounds: a group-sequential look at the paired rounds after every round.

``perfcore gate --against`` measures both sides in rounds. Instead of a fixed number of
rounds, it looks at the results after each round ``n`` from ``min_rounds`` to
``max_rounds`` (the looks ``k = 1..K``, information fractions ``n / max_rounds``) and
decides, per result:

* ``unchanged``: its interval for the paired log ratio (at ``inside_confidence``,
  90% by default) lies inside ``+-log(1 + threshold)``: it stops being measured;
* ``slower``: it is slower beyond its threshold (point ratio) and its one-sided
  statistic has crossed this look's boundary ``c_k``: it stops and goes to the fresh
  confirmation stage;
* ``faster``: the mirror image (an improvement): it stops;
* ``running``: none of these; it runs again, until the last look.

The boundary: each result is tested at ``alpha / m`` (Bonferroni over the ``m``
results the gate measures), and that level is spent across the looks by the
Lan-DeMets spending function of O'Brien-Fleming type, ``a(t) = 2 - 2 Phi(z_{1-a/2} /
sqrt(t))`` (Lan & DeMets 1983, Biometrika 70:659-663; Jennison & Turnbull 2000,
*Group Sequential Methods with Applications to Clinical Trials*, ch. 7).
:func:`boundaries` finds the ``c_k`` with ``P(Z_1 < c_1, ..., Z_{k-1} < c_{k-1},
Z_k >= c_k) = a(t_k) - a(t_{k-1})`` under no change, by numerical integration of the
canonical joint distribution (independent increments; Jennison & Turnbull, ch. 19).
Every other reason to stop (``unchanged``, ``faster``) only removes paths that could
still have crossed a later boundary, so it can only lower the chance of a false
``slower`` (non-binding futility): the family-wise rate of ``slower`` decisions under
no change stays at or below ``alpha`` whatever those stops do. A t statistic is put
on the boundary's normal scale through its p-value (Jennison & Turnbull, sec. 3.4,
the "significance level" approach).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize
from scipy import stats as sps

from perfcore.analysis.comparison import Comparison
from perfcore.errors import InputError

__all__ = [
    "DECISIONS",
    "DEFAULT_INSIDE_CONFIDENCE",
    "DEFAULT_MAX_ROUNDS",
    "DEFAULT_MIN_ROUNDS",
    "Decision",
    "LookEstimate",
    "SequentialDesign",
    "boundaries",
    "decide_arrays",
    "decide_look",
    "estimate_of",
    "obf_spending",
]

DEFAULT_MIN_ROUNDS = 2
DEFAULT_MAX_ROUNDS = 8
DEFAULT_INSIDE_CONFIDENCE = 0.90
# More looks than this are no gate a pull request waits for (and would only grow the grid).
MOST_ROUNDS = 100
# Grid of the numerical integration (points per unit of the score's standard deviation).
_GRID_PER_SD = 80
_LOWEST_SD = 8.0

Decision = Literal["unchanged", "slower", "faster", "running"]


def obf_spending(t: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming-type spending: the level spent by information fraction ``t``."""
    if t <= 0:
        return 0.0
    z = float(sps.norm.ppf(1 - alpha / 2))
    return float(2 - 2 * sps.norm.cdf(z / math.sqrt(min(t, 1.0))))


@functools.lru_cache(maxsize=64)
def boundaries(alpha: float, fractions: tuple[float, ...]) -> tuple[float, ...]:
    """One-sided upper boundaries ``c_k`` (normal scale) spending ``alpha`` at ``fractions``.

    ``fractions``: the looks' information fractions, increasing, the last one 1.
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha}")
    if not fractions or any(b <= a for a, b in itertools.pairwise(fractions)):
        raise InputError(f"information fractions must increase, got {fractions}")
    if fractions[0] <= 0 or abs(fractions[-1] - 1.0) > 1e-12:
        raise InputError(f"information fractions must lie in (0, 1] and end at 1, got {fractions}")
    out = [float(sps.norm.isf(obf_spending(fractions[0], alpha)))]
    # The score S_k = Z_k sqrt(t_k): Brownian motion in information time. Keep the
    # sub-density of S_k on the paths that have not crossed yet, on a grid.
    grid = _grid(out[0] * math.sqrt(fractions[0]))
    dens = sps.norm.pdf(grid, scale=math.sqrt(fractions[0]))
    for k in range(1, len(fractions)):
        sd = math.sqrt(fractions[k] - fractions[k - 1])
        weights = dens * _trapezoid(grid.size) * (grid[1] - grid[0])
        spend = obf_spending(fractions[k], alpha) - obf_spending(fractions[k - 1], alpha)
        b = float(optimize.brentq(_crossing, grid[0], 40.0, args=(grid, weights, sd, spend)))
        out.append(b / math.sqrt(fractions[k]))
        new_grid = _grid(b)
        kernel = sps.norm.pdf((new_grid[:, None] - grid[None, :]) / sd) / sd
        dens, grid = kernel @ weights, new_grid
    return tuple(out)


def _crossing(b: float, grid: np.ndarray, weights: np.ndarray, sd: float, spend: float) -> float:
    """Chance of crossing ``b`` now, on paths still running, less the level to spend now."""
    return float(np.sum(weights * sps.norm.sf((b - grid) / sd))) - spend


def _grid(top: float) -> np.ndarray:
    """Points from far below to exactly ``top`` (the density stops there: trapezoid ends)."""
    return np.linspace(-_LOWEST_SD, top, math.ceil((top + _LOWEST_SD) * _GRID_PER_SD) + 1)


def _trapezoid(n: int) -> np.ndarray:
    w = np.ones(n)
    w[0] = w[-1] = 0.5
    return w


@dataclass(frozen=True)
class SequentialDesign:
    """The looks (after rounds ``min_rounds..max_rounds``), the family-wise ``alpha`` and
    the number ``family`` of results it is shared among (Bonferroni)."""

    alpha: float
    family: int
    min_rounds: int = DEFAULT_MIN_ROUNDS
    max_rounds: int = DEFAULT_MAX_ROUNDS
    # The interval that must lie inside +-threshold to stop as unchanged. A futility
    # stop cannot raise false alarms, so its level only trades rounds against power
    # (docs/gate.md, "Sequential rounds"): 90%, as in a two one-sided tests (TOST) at 5%.
    inside_confidence: float = DEFAULT_INSIDE_CONFIDENCE

    def __post_init__(self) -> None:
        if self.min_rounds < 2:
            raise InputError(f"--min-rounds must be at least 2, got {self.min_rounds}")
        if self.max_rounds < self.min_rounds:
            raise InputError(
                f"--max-rounds must be at least {self.min_rounds} (--min-rounds), "
                f"got {self.max_rounds}"
            )
        if self.max_rounds > MOST_ROUNDS:
            raise InputError(f"--max-rounds must be at most {MOST_ROUNDS}, got {self.max_rounds}")
        if not 0 < self.inside_confidence < 1:
            raise InputError(f"inside_confidence must lie in (0, 1), got {self.inside_confidence}")
        if self.family < 1:
            raise InputError(f"a sequential design needs at least one result, got {self.family}")

    @property
    def fractions(self) -> tuple[float, ...]:
        """Information fraction of each look: rounds so far over the cap."""
        return tuple(n / self.max_rounds for n in range(self.min_rounds, self.max_rounds + 1))

    @property
    def bounds(self) -> tuple[float, ...]:
        """Each look's boundary for one result, at ``alpha / family``."""
        return boundaries(self.alpha / self.family, self.fractions)

    def boundary(self, rounds: int) -> float:
        """The boundary of the look after ``rounds`` rounds."""
        if not self.min_rounds <= rounds <= self.max_rounds:
            raise InputError(
                f"no look after {rounds} rounds (looks: {self.min_rounds}-{self.max_rounds})"
            )
        return self.bounds[rounds - self.min_rounds]


@dataclass(frozen=True)
class LookEstimate:
    """One result at one look: log ratio (positive: slower), its interval, and the one-sided
    p-value towards "slower" (the judge's test, made one-sided)."""

    id: str
    log_ratio: float
    ci_low: float
    ci_high: float
    p_slower: float
    band: float


def estimate_of(c: Comparison) -> LookEstimate | None:
    """A judged comparison as a look's estimate, oriented so that positive is worse.

    None where it has no ratio, interval or p-value (new, missing, not on a log scale).
    """
    if c.ratio is None or c.ci_low is None or c.ci_high is None or c.p_value is None:
        return None
    if c.ratio <= 0 or c.ci_low <= 0 or c.ci_high <= 0:
        return None
    sign = 1.0 if c.better == "lower" else -1.0
    lr = sign * math.log(c.ratio)
    lo, hi = sorted((sign * math.log(c.ci_low), sign * math.log(c.ci_high)))
    p_slower = c.p_value / 2 if lr > 0 else 1 - c.p_value / 2
    return LookEstimate(c.id, lr, lo, hi, p_slower, math.log1p(c.threshold))


DECISIONS: tuple[Decision, ...] = ("running", "unchanged", "slower", "faster")


def decide_arrays(
    log_ratio: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    p_slower: np.ndarray,
    band: np.ndarray,
    *,
    bound: float,
) -> np.ndarray:
    """The rule vectorised: an index into :data:`DECISIONS` per element (oriented arrays)."""
    z_slower = sps.norm.isf(np.clip(p_slower, 1e-300, 1.0))
    out = np.zeros(np.shape(log_ratio), dtype=np.int64)
    out[(ci_low > -band) & (ci_high < band)] = 1
    out[(log_ratio < -band) & (-z_slower >= bound)] = 3
    out[(log_ratio > band) & (z_slower >= bound)] = 2
    return out


def decide_look(
    estimates: Sequence[LookEstimate], rounds: int, design: SequentialDesign
) -> dict[str, Decision]:
    """Each result's decision at the look after ``rounds`` rounds (see the module's rule)."""
    if not estimates:
        return {}
    columns = np.array(
        [(e.log_ratio, e.ci_low, e.ci_high, e.p_slower, e.band) for e in estimates]
    ).T
    lr, lo, hi, p, band = columns
    codes = decide_arrays(lr, lo, hi, p, band, bound=design.boundary(rounds))
    return {e.id: DECISIONS[int(k)] for e, k in zip(estimates, codes, strict=True)}
