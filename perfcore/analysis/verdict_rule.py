"""Verdicts: baseline against current, per result and for a whole suite.

The rule, per result (``t`` its threshold, ``alpha`` the suite's family-wise rate):

1. Ratio ``r = current / baseline`` of log-scale locations (medians; the mean of round
   medians when both sides come in rounds), with a ``1 - alpha`` interval and a
   p-value from the same standard error (see :mod:`perfcore.analysis.stats`). That
   error holds the variation *between* runs: from the rounds themselves when both
   sides have rounds, else each side's variance is the larger of its within-run
   error and the squared ``between_run_sd`` (the SD of log run medians over no-change
   runs, from ``perfcore calibrate``), else of :data:`DEFAULT_BETWEEN_RUN_SD`.
2. The p-value is the larger of that location test's and Mann-Whitney U's over the raw
   samples (an intersection-union test: significant only when both are, so it is
   valid whenever the between-run-aware test is). Where U cannot reach the strictest
   Holm level at all (too few samples), the location test decides alone. Judged
   uncalibrated, one run of raw samples against one, the minimums must move beyond the
   threshold the same way too (the fast end, :mod:`perfcore.analysis.vetoes`). A calibrated
   SD learnt from ``k`` runs carries ``k - 1`` degrees of freedom (Student's t), and a
   side made of ``k`` runs has ``1/k`` of a single run's between-run variance.
   Holm's step-down correction is then applied across every compared result, keeping
   the chance of any false alarm in the suite below ``alpha`` (a gate fails on one
   alarm, so family-wise error, not the false discovery rate, is the quantity to
   bound).
3. ``regressed`` / ``improved``: significant after Holm *and* the point ratio is beyond
   the threshold in the bad / good direction (``|log r| > log(1 + t)``).
   ``noisy``: not decidable at this noise -- the ratio is beyond the threshold but not
   significant, or the interval reaches past ``+-t`` while the minimum detectable
   change (80% power at ``alpha / m``) exceeds ``t``. ``unchanged``: everything else
   (a significant change inside the threshold, or an interval inside ``+-t``, or no
   significance where a change of ``t`` would have been detected).
   ``new`` / ``missing``: present on one side only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from perfcore.analysis import stats
from perfcore.analysis.comparison import Comparison, SuiteComparison, Verdict
from perfcore.analysis.paired_rounds import paired_rows, rounds_of
from perfcore.analysis.two_sample import TwoSampleStats
from perfcore.analysis.untested import (
    incomparable,
    median_of,
    one_sided,
    summary_of,
    undecidable,
)
from perfcore.analysis.vetoes import fast_end_p, mann_whitney_veto
from perfcore.config import Settings
from perfcore.errors import InputError
from perfcore.results.comparability import basis, is_deterministic, version_changed
from perfcore.results.model import Result, ResultSet

__all__ = ["DEFAULT_BETWEEN_RUN_SD", "METHOD", "compare_suites"]

# Log-scale SD of one run's median between runs, assumed when neither rounds nor a
# calibration say better (where 0.03 comes from: docs/gate.md, "Defaults").
DEFAULT_BETWEEN_RUN_SD = 0.03
METHOD = "log-location test with between-run variance, Mann-Whitney U, Holm"


def _side(
    result: Result, raw: stats.FloatArray, ordered: stats.FloatArray
) -> stats.SideEstimates | None:
    """The estimate of one side (``ordered``: ``raw`` sorted), None off a log scale.

    A single value (asv ``peakmemory``, a Locust run total) or a deterministic one (asv
    ``memory``, a count) has no within-run spread to estimate: its variance is zero
    here, and the between-run SD (zero for deterministic results) is all there is.
    """
    if ordered.size == 0 or ordered[0] <= 0:
        return None
    if basis(result) in ("single", "deterministic"):
        value = float(np.median(ordered))
        return stats.SideEstimates(float(np.log(value)), 0.0, math.inf, 1, False)
    rounds = rounds_of(result)
    if rounds is not None:
        return stats.estimate_side(raw, rounds, summary_of(result))
    return stats.estimate_side(ordered, None, summary_of(result), presorted=True)


def _arrays(result: Result) -> tuple[stats.FloatArray, stats.FloatArray]:
    raw = np.fromiter(result.samples, dtype=np.float64, count=len(result.samples))
    return raw, np.sort(raw)


def _classify(
    res: stats.TwoSampleStats,
    p_adj: stats.FloatArray,
    thresholds: stats.FloatArray,
    sign: stats.FloatArray,
    alpha: float,
) -> list[Verdict]:
    """The verdict rule of the module docstring, vectorised over results."""
    log_ratio, mdc = res.log_ratio, res.mdc80
    ci_low, ci_high = res.ci_low, res.ci_high
    band = np.log1p(thresholds)
    significant = p_adj < alpha
    beyond = np.abs(log_ratio) > band
    worse = sign * log_ratio > 0
    with np.errstate(divide="ignore"):  # a zero bound (all-zero samples) is log -inf: not inside
        inside = (np.log(ci_low) > -band) & (np.log(ci_high) < band)
    undecided = beyond | (~inside & ~significant & ~(mdc <= thresholds))
    verdicts: list[Verdict] = []
    for sig, bey, bad, und in zip(significant, beyond, worse, undecided, strict=True):
        if sig and bey:
            verdicts.append("regressed" if bad else "improved")
        elif und and not sig:
            verdicts.append("noisy")
        else:
            verdicts.append("unchanged")
    return verdicts


def compare_suites(
    baseline: ResultSet,
    current: ResultSet,
    *,
    settings: Settings | None = None,
    between_run_sd: Mapping[str, float] | None = None,
    rng: np.random.Generator | None = None,
    default_between_run_sd: float = DEFAULT_BETWEEN_RUN_SD,
    between_run_df: Mapping[str, float] | None = None,
    paired: bool = False,
    paired_prior: Mapping[str, tuple[float, float]] | None = None,
    pair_guard: str = "spread",
    family_size: int | None = None,
    mann_whitney: bool = True,
) -> SuiteComparison:
    """Judge every result of ``current`` against ``baseline`` (see the module's rule).

    ``between_run_df`` gives, per id, the degrees of freedom of its calibrated
    between-run SD (runs - 1); ids without one are judged with the normal quantile.
    ``paired``: the sides are interleaved rounds (round ``i`` of each side ran back to
    back, as ``perfcore gate --against`` runs them); results whose sides carry the same
    round labels are judged on their per-round differences (see :func:`stats.compare_paired`),
    with ``paired_prior[id] = (variance, df)`` of those differences learnt from earlier
    paired runs, or else a prior fitted across this suite's benchmarks.
    ``family_size``: Holm's correction counts this many tests even where fewer are
    compared here (the others taken as not rejected): a re-check of a few results
    stays at the family-wise level of the whole suite.
    ``mann_whitney``: False leaves U out of step 2, so the location test decides alone
    (for studies of what U's veto costs; the gate always uses it).
    ``rng`` is accepted for interface stability; the rule is analytic and uses no
    randomness, so equal inputs always give equal verdicts.
    """
    del rng
    cfg = settings or Settings()
    base, curr = baseline.by_id(), current.by_id()
    pairs = _same_kind([(base[i], curr[i]) for i in sorted(base.keys() & curr.keys())])
    changed = [(b, c) for b, c in pairs if version_changed(b, c)]
    pairs = [(b, c) for b, c in pairs if not version_changed(b, c)]
    judged = [incomparable(b, c, cfg.threshold_for(b.id)) for b, c in changed]
    judged += _judge_pairs(
        pairs,
        cfg,
        between_run_sd or {},
        default_between_run_sd,
        between_run_df=between_run_df or {},
        paired_prior=(paired_prior or {}) if paired else None,
        pair_guard=pair_guard,
        family_size=family_size,
        mann_whitney=mann_whitney,
    )
    lone = [
        one_sided(curr[i], "new", cfg.threshold_for(i)) for i in sorted(curr.keys() - base.keys())
    ] + [
        one_sided(base[i], "missing", cfg.threshold_for(i))
        for i in sorted(base.keys() - curr.keys())
    ]
    everything = sorted([*judged, *lone], key=lambda c: c.id)
    return SuiteComparison(
        comparisons=tuple(everything), alpha=cfg.alpha, method=METHOD, confidence=1 - cfg.alpha
    )


def _same_kind(pairs: list[tuple[Result, Result]]) -> list[tuple[Result, Result]]:
    """``pairs``, once each is known to have one unit and one direction on both sides."""
    for b, c in pairs:
        if b.unit != c.unit or b.better != c.better:
            raise InputError(
                f"result {b.id}: baseline is {b.unit}/{b.better}, current is {c.unit}/{c.better}"
            )
    return pairs


Arrays = tuple["stats.FloatArray", "stats.FloatArray"]


def _estimates(
    pairs: Sequence[tuple[Result, Result]], cfg: Settings
) -> tuple[
    list[Comparison | None],
    list[int],
    tuple[list[stats.SideEstimates], list[stats.SideEstimates]],
    list[Arrays],
]:
    """Each pair's side estimates; a pair without one is undecidable at once.

    Returns the output slots (undecidable ones filled), the indices estimated, both
    sides' estimates and the value arrays of those indices.
    """
    out: list[Comparison | None] = [None] * len(pairs)
    ok: list[int] = []
    base_est: list[stats.SideEstimates] = []
    curr_est: list[stats.SideEstimates] = []
    arrays: list[Arrays] = []
    for i, (b, c) in enumerate(pairs):
        (rb, vb), (rc, vc) = _arrays(b), _arrays(c)
        sb, sc = _side(b, rb, vb), _side(c, rc, vc)
        if sb is None or sc is None:
            out[i] = undecidable(b, c, cfg.threshold_for(b.id))
            continue
        ok.append(i)
        base_est.append(sb)
        curr_est.append(sc)
        arrays.append((vb, vc))
    return out, ok, (base_est, curr_est), arrays


def _judge_pairs(
    pairs: Sequence[tuple[Result, Result]],
    cfg: Settings,
    between_run_sd: Mapping[str, float],
    default_sd: float,
    *,
    between_run_df: Mapping[str, float],
    paired_prior: Mapping[str, tuple[float, float]] | None = None,
    pair_guard: str = "spread",
    family_size: int | None = None,
    mann_whitney: bool = True,
) -> list[Comparison]:
    m = max(len(pairs), family_size or 0)
    out, ok, (base_est, curr_est), arrays = _estimates(pairs, cfg)
    if not ok:
        return [c for c in out if c is not None]
    rows = [pairs[i] for i in ok]
    between = np.array([_between_sd(b, c, between_run_sd, default_sd) for b, c in rows])
    thresholds = np.array([cfg.threshold_for(b.id) for b, _ in rows])
    dfs = np.array([between_run_df.get(b.id, math.inf) for b, _ in rows])
    res = stats.compare_arrays(
        base_est,
        curr_est,
        between,
        confidence=1 - cfg.alpha,
        mdc_alpha=cfg.alpha / m,
        between_df=dfs,
    )
    bases = [_basis(b, c, rb, rc) for (rb, rc), b, c in zip(rows, base_est, curr_est, strict=True)]
    if paired_prior is not None:
        res = paired_rows(rows, res, bases, paired_prior, alpha=cfg.alpha, m=m, guard=pair_guard)
    strictest = cfg.alpha / max(len(rows), m)
    p_mwu = np.array(
        [mann_whitney_veto(*r, *a, strictest) for r, a in zip(rows, arrays, strict=True)]
    )
    p_fast = fast_end_p(
        rows, arrays, res.log_ratio, thresholds, calibrated=between_run_sd, prior_sd=default_sd
    )
    p = np.maximum.reduce([res.p_value, p_mwu * mann_whitney, p_fast])
    p_adj = stats.holm(np.concatenate([p, np.ones(m - len(rows))]))[: len(rows)]
    sign = np.array([1.0 if b.better == "lower" else -1.0 for b, _ in rows])
    verdicts = _classify(res, p_adj, thresholds, sign, cfg.alpha)
    for k, i in enumerate(ok):
        numbers = (float(p[k]), float(p_adj[k]), float(thresholds[k]))
        out[i] = _comparison(
            pairs[i],
            arrays[k],
            res=res,
            k=k,
            numbers=numbers,
            verdict=verdicts[k],
            basis_text=bases[k],
        )
    return [c for c in out if c is not None]


def _between_sd(b: Result, c: Result, calibrated: Mapping[str, float], default: float) -> float:
    """The between-run SD a pair is judged with: none between deterministic values."""
    if is_deterministic(b) and is_deterministic(c):
        return 0.0
    return calibrated.get(b.id, default)


def _comparison(
    pair: tuple[Result, Result],
    values: Arrays,
    *,
    res: TwoSampleStats,
    k: int,
    numbers: tuple[float, float, float],
    verdict: Verdict,
    basis_text: str,
) -> Comparison:
    """Row ``k`` of the suite's test results as the comparison of ``pair``;
    ``numbers``: its p-value, Holm-adjusted p-value and threshold."""
    b, c = pair
    p, p_adjusted, threshold = numbers
    return Comparison(
        id=b.id,
        unit=b.unit,
        better=b.better,
        baseline_samples=b.samples,
        current_samples=c.samples,
        baseline_median=median_of(b, values[0]),
        current_median=median_of(c, values[1]),
        ratio=float(np.exp(res.log_ratio[k])),
        ci_low=float(res.ci_low[k]),
        ci_high=float(res.ci_high[k]),
        p_value=p,
        p_adjusted=p_adjusted,
        threshold=threshold,
        mdc=float(res.mdc80[k]),
        verdict=verdict,
        mdc95=float(res.mdc95[k]),
        basis=basis_text,
    )


def _basis(
    base: stats.SideEstimates,
    curr: stats.SideEstimates,
    rb: Result | None = None,
    rc: Result | None = None,
) -> str:
    kinds = {basis(r) for r in (rb, rc) if r is not None}
    if kinds == {"deterministic"}:
        return "deterministic (compared exactly)"
    if kinds & {"single", "deterministic"}:
        return "single values + between-run SD"
    if "summary" in kinds:
        return f"summary {base.units}/{curr.units} + between-run SD"
    if base.rounds and curr.rounds:
        return f"rounds {base.units}/{curr.units}"
    return f"samples {base.units}/{curr.units} + between-run SD"
