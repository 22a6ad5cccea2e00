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
   Holm level at all (too few samples), the location test decides alone. A calibrated
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from perfcore.analysis import stats
from perfcore.config import Settings
from perfcore.errors import InputError
from perfcore.results.comparability import basis, is_deterministic, version_changed
from perfcore.results.model import Result, ResultSet

__all__ = [
    "DEFAULT_BETWEEN_RUN_SD",
    "VERDICTS",
    "Comparison",
    "GateDecision",
    "SuiteComparison",
    "SuiteShift",
    "Verdict",
    "compare_suites",
    "confirm_in_fresh_rounds",
    "confirm_regressions",
    "decide_gate",
    "decide_with_rerun",
    "paired_spread",
    "round_differences",
    "screen_regressions",
    "screen_slower",
    "suite_shift",
]

Verdict = Literal["regressed", "improved", "unchanged", "noisy", "new", "missing", "disturbed",
                  "incomparable"]
# Every verdict, most in need of attention first: the order of counts and of report rows.
# ``disturbed``: looked slower while other processes used the CPU, by no more than that
# load explains (perfcore.analysis.disturbed); ``incomparable``: the benchmark's own code
# changed between the sides (asv's benchmark version), so its numbers measure other code.
VERDICTS: tuple[Verdict, ...] = ("regressed", "missing", "disturbed", "noisy", "incomparable",
                                 "improved", "new", "unchanged")

# Log-scale SD of one run's median between runs, assumed when neither rounds nor a
# calibration say better (where 0.03 comes from: docs/gate.md, "Defaults").
DEFAULT_BETWEEN_RUN_SD = 0.03
# The first stage's level: results slower than their threshold at this unadjusted p
# are re-measured (see screen_regressions); the decision keeps the family-wise alpha.
SCREEN_ALPHA = 0.05
# gate --against's second stage: results whose point ratio is slower than this fraction
# of their threshold are re-measured in fresh rounds (see confirm_in_fresh_rounds).
FRESH_SCREEN_FRACTION = 0.5
# The machine-shift guard (suite_shift): at least this many timed results, and a common
# shift beyond this (the default threshold) before a stored baseline is refused.
MIN_TIMED_FOR_SHIFT = 5
DEFAULT_THRESHOLD_FOR_SHIFT = 0.05
# Below this many samples on either side U is left out of the decision (see _mann_whitney).
MIN_U_SAMPLES = 8


@dataclass(frozen=True)
class Comparison:
    """One result judged: ratio current/baseline with interval, test and verdict."""

    id: str
    unit: str
    better: Literal["lower", "higher"]
    baseline_samples: tuple[float, ...]
    current_samples: tuple[float, ...]
    baseline_median: float | None
    current_median: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    threshold: float
    mdc: float | None
    verdict: Verdict
    mdc95: float | None = None
    basis: str = ""
    # Foreign CPU (cores) while the current side was timed, where it made the result busy.
    foreign_cores: float | None = None

    def to_dict(self, *, samples: bool = False) -> dict[str, Any]:
        """JSON-ready form; raw samples only when asked (they can be large)."""
        data = asdict(self)
        if not samples:
            del data["baseline_samples"], data["current_samples"]
        return data


@dataclass(frozen=True)
class SuiteComparison:
    """Every result of a suite judged, with the family-wise rate and the rule's name."""

    comparisons: tuple[Comparison, ...]
    alpha: float
    method: str
    confidence: float = 0.99

    def counts(self) -> dict[str, int]:
        """How many results got each verdict (every verdict present, zero or not)."""
        out: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        for comparison in self.comparisons:
            out[comparison.verdict] += 1
        return out

    def regressions(self) -> tuple[Comparison, ...]:
        """The results judged regressed, worst ratio first."""
        bad = [c for c in self.comparisons if c.verdict == "regressed"]
        return tuple(sorted(bad, key=lambda c: -abs(math.log(c.ratio or 1.0))))

    def by_id(self) -> dict[str, Comparison]:
        """The comparisons keyed by result id."""
        return {c.id: c for c in self.comparisons}

    def compared(self) -> tuple[Comparison, ...]:
        """The results present on both sides."""
        return tuple(c for c in self.comparisons if c.verdict not in ("new", "missing"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"alpha": self.alpha, "method": self.method, "confidence": self.confidence,
                "counts": self.counts(), "comparisons": [c.to_dict() for c in self.comparisons]}


@dataclass(frozen=True)
class GateDecision:
    """Whether a gate passes: exit code 0 pass, 1 regression or missing, 2 nothing compared."""

    passed: bool
    exit_code: int
    reasons: tuple[str, ...]


METHOD = "log-location test with between-run variance, Mann-Whitney U, Holm"


def _summary(result: Result) -> tuple[float, float, int] | None:
    if result.extra.get("samples_from") != "summary":
        return None
    summary = result.extra.get("summary", {})
    try:
        return float(summary["median"]), float(summary["iqr"]), int(summary["n"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"result {result.id}: summary statistics incomplete") from None


def _rounds(result: Result) -> npt.NDArray[np.int64] | None:
    rounds = result.extra.get("rounds")
    if rounds is None:
        return None
    if not isinstance(rounds, list) or len(rounds) != len(result.samples):
        raise InputError(f"result {result.id}: extra.rounds must label every sample")
    try:
        return np.asarray(rounds, dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(f"result {result.id}: extra.rounds must be integers") from None


def _side(result: Result, raw: stats.FloatArray,
          ordered: stats.FloatArray) -> stats.SideEstimates | None:
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
    rounds = _rounds(result)
    if rounds is not None:
        return stats.estimate_side(raw, rounds, _summary(result))
    return stats.estimate_side(ordered, None, _summary(result), presorted=True)


def _arrays(result: Result) -> tuple[stats.FloatArray, stats.FloatArray]:
    raw = np.fromiter(result.samples, dtype=np.float64, count=len(result.samples))
    return raw, np.sort(raw)


def _median(result: Result, ordered: stats.FloatArray | None = None) -> float | None:
    """The median of a result (``ordered``: its samples, already sorted)."""
    summary = _summary(result)
    if summary is not None:
        return summary[0]
    if not result.samples:
        return None
    if ordered is None:
        return float(np.median(result.samples))
    n = ordered.size
    return float(0.5 * (ordered[(n - 1) // 2] + ordered[n // 2]))


def _one_sided(result: Result, verdict: Verdict, threshold: float) -> Comparison:
    samples = result.samples
    med = _median(result)
    return Comparison(
        id=result.id, unit=result.unit, better=result.better,
        baseline_samples=samples if verdict == "missing" else (),
        current_samples=samples if verdict == "new" else (),
        baseline_median=med if verdict == "missing" else None,
        current_median=med if verdict == "new" else None,
        ratio=None, ci_low=None, ci_high=None, p_value=None, p_adjusted=None,
        threshold=threshold, mdc=None, verdict=verdict)


def _classify(
    res: stats.TwoSampleStats, p_adj: stats.FloatArray, thresholds: stats.FloatArray,
    sign: stats.FloatArray, alpha: float,
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
    pairs = [(base[i], curr[i]) for i in sorted(base.keys() & curr.keys())]
    for b, c in pairs:
        if b.unit != c.unit or b.better != c.better:
            raise InputError(f"result {b.id}: baseline is {b.unit}/{b.better}, "
                             f"current is {c.unit}/{c.better}")
    changed = [(b, c) for b, c in pairs if version_changed(b, c)]
    pairs = [(b, c) for b, c in pairs if not version_changed(b, c)]
    judged = [_incomparable(b, c, cfg.threshold_for(b.id)) for b, c in changed]
    judged += _judge_pairs(pairs, cfg, between_run_sd or {}, default_between_run_sd,
                          between_run_df=between_run_df or {},
                          paired_prior=(paired_prior or {}) if paired else None,
                          pair_guard=pair_guard, family_size=family_size,
                          mann_whitney=mann_whitney)
    one_sided = [_one_sided(curr[i], "new", cfg.threshold_for(i))
                 for i in sorted(curr.keys() - base.keys())]
    one_sided += [_one_sided(base[i], "missing", cfg.threshold_for(i))
                  for i in sorted(base.keys() - curr.keys())]
    everything = sorted([*judged, *one_sided], key=lambda c: c.id)
    return SuiteComparison(comparisons=tuple(everything), alpha=cfg.alpha, method=METHOD,
                           confidence=1 - cfg.alpha)


def _judge_pairs(
    pairs: Sequence[tuple[Result, Result]], cfg: Settings,
    between_run_sd: Mapping[str, float], default_sd: float, *,
    between_run_df: Mapping[str, float],
    paired_prior: Mapping[str, tuple[float, float]] | None = None,
    pair_guard: str = "spread",
    family_size: int | None = None,
    mann_whitney: bool = True,
) -> list[Comparison]:
    out: list[Comparison | None] = [None] * len(pairs)
    m = max(len(pairs), family_size or 0)
    ok: list[int] = []
    base_est: list[stats.SideEstimates] = []
    curr_est: list[stats.SideEstimates] = []
    arrays: list[tuple[stats.FloatArray, stats.FloatArray]] = []
    for i, (b, c) in enumerate(pairs):
        (rb, vb), (rc, vc) = _arrays(b), _arrays(c)
        sb, sc = _side(b, rb, vb), _side(c, rc, vc)
        if sb is None or sc is None:
            out[i] = _undecidable(b, c, cfg.threshold_for(b.id))
            continue
        ok.append(i)
        base_est.append(sb)
        curr_est.append(sc)
        arrays.append((vb, vc))
    if not ok:
        return [c for c in out if c is not None]
    rows = [pairs[i] for i in ok]
    between = np.array([0.0 if is_deterministic(b) and is_deterministic(c)
                        else between_run_sd.get(b.id, default_sd) for b, c in rows])
    thresholds = np.array([cfg.threshold_for(b.id) for b, _ in rows])
    dfs = np.array([between_run_df.get(b.id, math.inf) for b, _ in rows])
    res = stats.compare_arrays(base_est, curr_est, between,
                               confidence=1 - cfg.alpha, mdc_alpha=cfg.alpha / m,
                               between_df=dfs)
    bases = [_basis(b, c, rb, rc)
             for (rb, rc), b, c in zip(rows, base_est, curr_est, strict=True)]
    if paired_prior is not None:
        res = _paired_rows(rows, res, bases, paired_prior, alpha=cfg.alpha, m=m,
                           guard=pair_guard)
    strictest = cfg.alpha / max(len(rows), m)
    p_mwu = np.array([
        _mann_whitney(b, c, vb, vc, strictest) if mann_whitney else 0.0
        for (b, c), (vb, vc) in zip(rows, arrays, strict=True)])
    p = np.maximum(res.p_value, p_mwu)
    p_adj = stats.holm(np.concatenate([p, np.ones(m - len(rows))]))[: len(rows)]
    sign = np.array([1.0 if b.better == "lower" else -1.0 for b, _ in rows])
    verdicts = _classify(res, p_adj, thresholds, sign, cfg.alpha)
    for k, i in enumerate(ok):
        b, c = pairs[i]
        out[i] = Comparison(
            id=b.id, unit=b.unit, better=b.better,
            baseline_samples=b.samples, current_samples=c.samples,
            baseline_median=_median(b, arrays[k][0]), current_median=_median(c, arrays[k][1]),
            ratio=float(np.exp(res.log_ratio[k])), ci_low=float(res.ci_low[k]),
            ci_high=float(res.ci_high[k]), p_value=float(p[k]), p_adjusted=float(p_adj[k]),
            threshold=float(thresholds[k]), mdc=float(res.mdc80[k]), verdict=verdicts[k],
            mdc95=float(res.mdc95[k]), basis=bases[k])
    return [c for c in out if c is not None]


def round_differences(b: Result, c: Result) -> stats.FloatArray | None:
    """Per-round log differences of two results measured in interleaved rounds, or None.

    Where both sides say ``extra["turns"]`` (their rounds were timed in turns, sample by
    sample), a round's difference pairs the samples (``paired_differences(lockstep=True)``).
    """
    rb, rc = _rounds(b), _rounds(c)
    if rb is None or rc is None:
        return None
    lockstep = b.extra.get("turns") is True and c.extra.get("turns") is True
    return stats.paired_differences(b.samples, rb, c.samples, rc, lockstep=lockstep)


def paired_spread(baseline: ResultSet, current: ResultSet) -> dict[str, tuple[float, float]]:
    """Per id in both, the (variance, df) of its per-round log differences (paired rounds)."""
    base, curr = baseline.by_id(), current.by_id()
    out = {}
    for rid in base.keys() & curr.keys():
        diffs = round_differences(base[rid], curr[rid])
        if diffs is not None and diffs.size > 1:
            out[rid] = (float(diffs.var(ddof=1)), float(diffs.size - 1))
    return out


def _paired_rows(
    rows: Sequence[tuple[Result, Result]], res: stats.TwoSampleStats, bases: list[str],
    prior: Mapping[str, tuple[float, float]], *, alpha: float, m: int, guard: str,
) -> stats.TwoSampleStats:
    """Replace the rows measured in paired rounds by the paired comparison."""
    diffs = [round_differences(b, c) for b, c in rows]
    idx = [i for i, d in enumerate(diffs) if d is not None]
    if not idx:
        return res
    found = [d for d in diffs if d is not None]
    var = np.array([float(d.var(ddof=1)) for d in found])
    df = np.array([d.size - 1.0 for d in found])
    s0, d0 = stats.squeeze_var(var, df)
    ids = [rows[i][0].id for i in idx]
    prior_var = np.array([prior[i][0] if i in prior else s0 for i in ids])
    prior_df = np.array([prior[i][1] if i in prior else d0 for i in ids])
    prior_df = np.where(np.isfinite(prior_var), prior_df, 0.0)
    sub = stats.compare_paired(found, prior_var, prior_df, confidence=1 - alpha,
                               mdc_alpha=alpha / m, guard=guard)
    fields = {name: getattr(res, name).copy() for name in stats.TwoSampleStats.__dataclass_fields__}
    for name, column in fields.items():
        column[idx] = getattr(sub, name)
    for j, i in enumerate(idx):
        source = "learnt" if ids[j] in prior else "suite"
        bases[i] = (f"paired rounds {found[j].size}, prior df {prior_df[j]:.3g} ({source}), "
                    f"df {sub.df[j]:.3g}")
    return stats.TwoSampleStats(**fields)


def _mann_whitney(b: Result, c: Result, vb: stats.FloatArray, vc: stats.FloatArray,
                  strictest: float) -> float:
    """The Mann-Whitney half of the test, or 0 where it could never reach the gate's level.

    With few samples a side, U's smallest attainable two-sided p (``2 / C(n, n1)``: 0.1
    at 3 against 3) lies above any Holm level, so requiring it would make the gate
    unable to flag anything; there the between-run-aware location test decides alone,
    as asv falls back to interval overlap when it has too few samples. The same holds
    with fewer than :data:`MIN_U_SAMPLES` on either side: 45 tied samples against 3
    (a deterministic ratio measured three times a run) never reach a Holm level
    through U's tie-corrected normal approximation either.
    """
    if _summary(b) or _summary(c):
        return 0.0  # no raw samples to rank: the between-run-aware location test decides
    if min(vb.size, vc.size) < MIN_U_SAMPLES:
        return 0.0
    # comb(40, 20) ~ 1.4e11: beyond that every usable level is attainable.
    small = vb.size + vc.size <= 40
    if small and 2.0 / math.comb(vb.size + vc.size, vc.size) > strictest:
        return 0.0
    return stats.mann_whitney_p(vb, vc, presorted=True)


def _basis(base: stats.SideEstimates, curr: stats.SideEstimates,
           rb: Result | None = None, rc: Result | None = None) -> str:
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


def _incomparable(base: Result, curr: Result, threshold: float) -> Comparison:
    """A pair whose benchmark code changed between the sides: reported, never compared."""
    mb, mc = _median(base), _median(curr)
    return Comparison(
        id=base.id, unit=base.unit, better=base.better,
        baseline_samples=base.samples, current_samples=curr.samples,
        baseline_median=mb, current_median=mc, ratio=None, ci_low=None, ci_high=None,
        p_value=None, p_adjusted=None, threshold=threshold, mdc=None, verdict="incomparable",
        basis=f"benchmark version changed ({base.extra.get('version')} -> "
              f"{curr.extra.get('version')})")


def _undecidable(base: Result, curr: Result, threshold: float) -> Comparison:
    """A pair that cannot be judged on a log scale (empty or non-positive samples)."""
    mb, mc = _median(base), _median(curr)
    same = base.samples == curr.samples and bool(base.samples)
    ratio = mc / mb if mb and mc is not None and mb > 0 else None
    return Comparison(
        id=base.id, unit=base.unit, better=base.better,
        baseline_samples=base.samples, current_samples=curr.samples,
        baseline_median=mb, current_median=mc, ratio=ratio, ci_low=None, ci_high=None,
        p_value=None, p_adjusted=None, threshold=threshold, mdc=None,
        verdict="unchanged" if same else "noisy", basis="not on a log scale")


def screen_regressions(suite: SuiteComparison, alpha: float = SCREEN_ALPHA) -> list[str]:
    """Ids worth re-measuring: slower beyond the threshold at an unadjusted ``alpha``.

    The first stage of the two-stage gate (see :func:`confirm_regressions`). Its level
    is deliberately loose: it only chooses what to re-run, the decision is taken by
    the second stage at the suite's family-wise level. Every ``regressed`` result
    passes the screen.
    """
    out = []
    for c in suite.comparisons:
        if c.verdict == "regressed":
            out.append(c.id)
            continue
        if _screened(c, alpha):
            out.append(c.id)
    return out


def confirm_regressions(suite: SuiteComparison, recheck: SuiteComparison,
                        rerun: SuiteComparison | None = None) -> SuiteComparison:
    """The second stage: the screened results judged on the first run and a re-run together.

    ``recheck`` compares the baseline with both measurements of each screened result
    (a current side of two runs), with Holm counted over the *whole* suite
    (``compare_suites(..., family_size=m)``). Its verdict replaces the first one.
    Holm is monotone, so rejecting only among the screened results (the others taken
    as p = 1) keeps the family-wise false-alarm rate at or below ``alpha`` whatever the
    screen chose. ``rerun`` (the re-run alone against the baseline, Holm over the
    re-run results only), when given, must regress too for a regression to stand: a
    stretch of one run slowed by another job, large enough to carry the mean of two
    runs, does not repeat in a later run (why not a weaker check: docs/gate.md,
    "Defaults"). A result ``recheck`` does not hold keeps its first verdict.
    """
    again = recheck.by_id()
    alone = rerun.by_id() if rerun is not None else {}
    out = []
    for c in suite.comparisons:
        r = again.get(c.id)
        if r is None:  # not re-run (a load result, say): the first verdict stands
            out.append(c)
            continue
        single = alone.get(c.id)
        held = single is None or single.ratio is None or single.verdict == "regressed"
        first = f"first run {c.ratio:.3f}, {c.verdict}" if c.ratio else c.verdict
        if r.verdict == "regressed" and held:
            out.append(replace(r, basis=f"{r.basis}; first run and re-run together ({first})"))
        elif r.verdict == "regressed":
            alone_text = (f"{single.ratio:.3f}, p {single.p_value:.2g}"
                          if single is not None and single.ratio is not None
                          and single.p_value is not None else "undecided")
            out.append(replace(r, verdict="noisy", basis=(
                f"{r.basis}; not confirmed: the re-run alone is {alone_text} ({first})")))
        else:
            out.append(replace(r, basis=f"{r.basis}; first run and re-run together ({first})"))
    return replace(suite, comparisons=tuple(out))


Judge = Callable[[ResultSet, ResultSet, int], SuiteComparison]


def decide_with_rerun(suite: SuiteComparison, sides: tuple[ResultSet, ResultSet],
                      again: ResultSet, judge: Judge) -> SuiteComparison:
    """Both stages after a re-run: ``again`` re-measured (at least) the screened results.

    ``sides`` is ``(baseline, current)`` as ``suite`` judged them; ``judge(baseline,
    current, family_size)`` compares as the first stage did (same noise, same settings).
    """
    from perfcore.results.readers import merge_runs

    baseline, current = sides
    ids = {r.id for r in again.results} & set(screen_regressions(suite))
    if not ids:
        return suite
    family = len(suite.compared())
    both = merge_runs([current.only(ids), again.only(ids)])
    return confirm_regressions(suite, judge(baseline.only(ids), both, family),
                               judge(baseline.only(ids), again.only(ids), len(ids)))


def screen_slower(suite: SuiteComparison, fraction: float = FRESH_SCREEN_FRACTION) -> list[str]:
    """Ids whose point ratio is slower than ``fraction`` of their threshold.

    The screen of :func:`confirm_in_fresh_rounds`. It reads the point ratio alone, not
    the p-value: the mean of normal differences is independent of their sample
    variance, so what the screen picks leaves the first rounds' own spread of each
    picked benchmark an honest estimate, fit to serve as the second stage's prior.
    Every result that regressed passes it.
    """
    return [c.id for c in suite.compared() if _slower(c, fraction)]


def confirm_in_fresh_rounds(
    suite: SuiteComparison, first: tuple[ResultSet, ResultSet],
    again: tuple[ResultSet, ResultSet], *, settings: Settings | None = None,
    paired_prior: Mapping[str, tuple[float, float]] | None = None,
    mann_whitney: bool = True,
) -> SuiteComparison:
    """``gate --against``'s second stage: every regression is seen again in fresh rounds.

    ``suite`` judged the first rounds ``first = (REF, working tree)``; ``again`` holds
    fresh paired rounds of the results :func:`screen_slower` picked from it. A picked
    result regresses when its fresh rounds *alone* are slower at a one-sided level,
    with Holm's correction over the picked results only, and the point ratio over all
    rounds together is beyond its threshold.

    Why that is a valid family-wise test: the picks depend on the first rounds only,
    and the fresh rounds are new data, so, given the picks, Holm over them keeps the
    chance of any false regression below ``alpha``; every regression needs a fresh
    rejection, so the first stage adds none. The family is the few picked results,
    not the whole suite (t at ``alpha / 2`` rather than ``alpha / 47`` on this suite),
    and the test is one-sided since only slowdowns are being confirmed: that is where
    the power comes from. The fresh rounds are judged with the learnt prior
    (``paired_prior``) pooled with the first rounds' own spread of the same benchmark
    (independent of the screen, see :func:`screen_slower`).

    The reported ratio and interval are those of all rounds together; the basis names
    the fresh rounds' own ratio and one-sided p. Results that were not picked keep
    their first verdict; a picked one that is not confirmed is ``noisy`` if its ratio
    over all rounds is beyond its threshold, else ``unchanged``. ``mann_whitney``: as
    for :func:`compare_suites`.
    """
    from perfcore.analysis.noise import pool_spread
    from perfcore.results.readers import merge_runs

    cfg = settings or Settings()
    base1, curr1 = first
    base2, curr2 = again
    fresh_ids = {r.id for r in base2.results} & {r.id for r in curr2.results}
    picked = set(screen_slower(suite)) & fresh_ids
    if not picked:
        return suite
    ids = sorted(picked)
    learnt = {i: v for i, v in (paired_prior or {}).items() if i in picked}
    own = paired_spread(base1.only(picked), curr1.only(picked))
    prior = pool_spread(learnt, own, max_df=math.inf)
    fresh = compare_suites(base2.only(picked), curr2.only(picked), settings=cfg, paired=True,
                           paired_prior=prior, mann_whitney=mann_whitney).by_id()
    both = compare_suites(merge_runs([base1.only(picked), base2.only(picked)]),
                          merge_runs([curr1.only(picked), curr2.only(picked)]), settings=cfg,
                          paired=True, paired_prior=paired_prior,
                          family_size=len(suite.compared()), mann_whitney=mann_whitney).by_id()
    judged = [i for i in ids if fresh[i].p_value is not None and both[i].ratio is not None]
    one_sided = np.array([_one_sided_p(fresh[i]) for i in judged])
    p_adj = stats.holm(one_sided) if judged else one_sided
    rounds = {r.id: len(set(r.extra.get("rounds", ()))) for r in curr2.results}
    out = {i: _confirmed_verdict(both[i], fresh[i], p=float(p), p_adj=float(q),
                                 rounds=rounds[i], family=len(judged), alpha=cfg.alpha)
           for i, p, q in zip(judged, one_sided, p_adj, strict=True)}
    return replace(suite, comparisons=tuple(out.get(c.id, c) for c in suite.comparisons))


def _one_sided_p(c: Comparison) -> float:
    """``c``'s two-sided p made one-sided towards "slower" (its tests are symmetric)."""
    assert c.p_value is not None
    return c.p_value / 2 if _slower(c, 0.0) else 1 - c.p_value / 2


def _confirmed_verdict(both: Comparison, fresh: Comparison, *, p: float, p_adj: float,
                       rounds: int, family: int, alpha: float) -> Comparison:
    seen = (f"fresh rounds {rounds}: ratio {fresh.ratio:.3f}, one-sided p {p:.2g}, "
            f"Holm over {family} re-measured {p_adj:.2g}")
    if p_adj < alpha and _slower(both):
        return replace(both, verdict="regressed", p_value=p, p_adjusted=p_adj,
                       basis=f"{both.basis}; confirmed, {seen}")
    verdict: Verdict = "noisy" if _slower(both) else (
        "unchanged" if both.verdict == "regressed" else both.verdict)
    return replace(both, verdict=verdict, p_value=p, p_adjusted=p_adj,
                   basis=f"{both.basis}; not confirmed, {seen}")


def _screened(c: Comparison, alpha: float) -> bool:
    """Slower than its threshold, at an unadjusted p below ``alpha``."""
    return _slower(c) and c.p_value is not None and c.p_value < alpha


def _slower(c: Comparison, fraction: float = 1.0) -> bool:
    """Whether ``c``'s point ratio is beyond ``fraction`` of its threshold in the bad direction."""
    if c.ratio is None or c.ratio <= 0:
        return False
    bad = math.log(c.ratio) * (1.0 if c.better == "lower" else -1.0)
    return bad > math.log1p(fraction * c.threshold)


@dataclass(frozen=True)
class SuiteShift:
    """How the timed results of a suite moved together: the machine, or a common cause."""

    shift: float
    timed: int
    slower: int
    faster: int
    p_value: float
    scaled: float

    def unexplained(self, alpha: float, limit: float) -> bool:
        """Beyond ``limit``, significant by the sign test, and beyond the noise the
        comparison already allows for (the median result's shift exceeds its own
        interval's half-width): a machine the baseline's calibration never saw."""
        return abs(self.shift) > limit and self.p_value < alpha and abs(self.scaled) > 1.0

    def describe(self) -> str:
        """One line for the gate's reasons."""
        return (f"the machine's speed changed: timed results moved {self.shift:+.1%} together "
                f"(median; {self.slower} of {self.timed} slower, {self.faster} faster, sign "
                f"test p {self.p_value:.2g}), {abs(self.scaled):.1f} times the median "
                "interval's half-width; a stored baseline cannot tell that from a "
                "regression: re-calibrate it or judge with gate --against")


def suite_shift(suite: SuiteComparison) -> SuiteShift | None:
    """The common shift of the suite's timed results (unit ``s``), if it has five or more.

    A code change slows the benchmarks whose code it touches; a machine that got slower
    or faster (another tenant on the host, a new CPU frequency) moves every timed
    benchmark by about the same factor. The median log ratio estimates that factor, and
    a sign test says whether the timed results move together more than chance allows.
    """
    from scipy.stats import binomtest

    timed = [c for c in suite.compared()
             if c.unit == "s" and c.ratio is not None and c.ratio > 0]
    if len(timed) < MIN_TIMED_FOR_SHIFT:
        return None
    logs = [math.log(c.ratio) for c in timed if c.ratio is not None]
    scaled = [v / _half_width(c) for v, c in zip(logs, timed, strict=True)]
    slower = sum(v > 0 for v in logs)
    faster = sum(v < 0 for v in logs)
    p = float(binomtest(slower, slower + faster).pvalue) if slower + faster else 1.0
    return SuiteShift(math.expm1(float(np.median(logs))), len(logs), slower, faster, p,
                      float(np.median(scaled)))


def _half_width(c: Comparison) -> float:
    """Half the width of ``c``'s interval on the log scale (inf where it has none)."""
    if c.ci_low is None or c.ci_high is None or c.ci_low <= 0 or c.ci_high <= c.ci_low:
        return math.inf
    return 0.5 * math.log(c.ci_high / c.ci_low)


def decide_gate(suite: SuiteComparison, *, allow_missing: bool,
                shift_guard: bool = False) -> GateDecision:
    """Pass, fail (1) or refuse (2) a suite comparison; zero comparisons never pass.

    ``shift_guard`` (stored baselines): refuse (2) when the timed results moved
    together beyond the default threshold, significantly by a sign test at ``alpha``,
    and further than the median result's own interval allows (:func:`suite_shift`):
    the machine changed in a way its calibration never saw, and verdicts against that
    baseline would be about the machine. Shifts the calibrated noise already holds
    (a machine that moves between two speeds, calibrated across both) are judged.
    """
    if not suite.compared():
        counts = suite.counts()
        return GateDecision(False, 2, (
            "no benchmark in common between baseline and current "
            f"({counts['missing']} vs {counts['new']} results); nothing was compared",))
    if shift_guard:
        shift = suite_shift(suite)
        if shift is not None and shift.unexplained(suite.alpha, DEFAULT_THRESHOLD_FOR_SHIFT):
            return GateDecision(False, 2, (shift.describe(),))
    reasons = [f"{c.id} regressed: {_describe(c)}" for c in suite.regressions()]
    missing = [c.id for c in suite.comparisons if c.verdict == "missing"]
    if missing and not allow_missing:
        reasons.append(f"missing from current: {', '.join(missing)}")
    if reasons:
        return GateDecision(False, 1, tuple(reasons))
    busy = [c for c in suite.comparisons if c.verdict == "disturbed"]
    if busy:
        return GateDecision(False, 2, (_busy_reason(busy),))
    return GateDecision(True, 0, ())


def _busy_reason(busy: Sequence[Comparison]) -> str:
    load = max(c.foreign_cores or 0.0 for c in busy)
    names = ", ".join(c.id for c in busy[:3]) + (f" and {len(busy) - 3} more" if len(busy) > 3
                                                 else "")
    return (f"machine busy: {load:.0%} of a core used by other processes while {names} "
            "looked slower, no more than that load explains; re-run on a quieter machine")


def _describe(c: Comparison) -> str:
    return (f"ratio {c.ratio:.3f} (CI {c.ci_low:.3f}-{c.ci_high:.3f}), "
            f"threshold {c.threshold:.0%}, p_adj {c.p_adjusted:.2g}")
