"""The two-stage decisions: screen what looks slower, then confirm it on new measurements.

:func:`decide_with_rerun` (``perfcore run`` against a stored baseline: a re-run of the
screened results, judged together with the first run) and :func:`confirm_in_fresh_rounds`
(``perfcore gate --against``: fresh paired rounds of the screened results, judged alone).
Both keep the suite's family-wise false-alarm rate; why each is valid is in its docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from perfcore.analysis import stats
from perfcore.analysis.comparison import Comparison, SuiteComparison, Verdict
from perfcore.analysis.paired_rounds import paired_spread
from perfcore.analysis.verdict_rule import compare_suites
from perfcore.config import Settings
from perfcore.results.model import ResultSet

__all__ = [
    "FRESH_SCREEN_FRACTION",
    "SCREEN_ALPHA",
    "Judge",
    "confirm_in_fresh_rounds",
    "confirm_regressions",
    "decide_with_rerun",
    "screen_regressions",
    "screen_slower",
]

# The first stage's level: results slower than their threshold at this unadjusted p
# are re-measured (see screen_regressions); the decision keeps the family-wise alpha.
SCREEN_ALPHA = 0.05
# gate --against's second stage: results whose point ratio is slower than this fraction
# of their threshold are re-measured in fresh rounds (see confirm_in_fresh_rounds).
FRESH_SCREEN_FRACTION = 0.5


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


def confirm_regressions(
    suite: SuiteComparison, recheck: SuiteComparison, rerun: SuiteComparison | None = None
) -> SuiteComparison:
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
            alone_text = (
                f"{single.ratio:.3f}, p {single.p_value:.2g}"
                if single is not None and single.ratio is not None and single.p_value is not None
                else "undecided"
            )
            out.append(
                replace(
                    r,
                    verdict="noisy",
                    basis=(f"{r.basis}; not confirmed: the re-run alone is {alone_text} ({first})"),
                )
            )
        else:
            out.append(replace(r, basis=f"{r.basis}; first run and re-run together ({first})"))
    return replace(suite, comparisons=tuple(out))


Judge = Callable[[ResultSet, ResultSet, int], SuiteComparison]


def decide_with_rerun(
    suite: SuiteComparison, sides: tuple[ResultSet, ResultSet], again: ResultSet, judge: Judge
) -> SuiteComparison:
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
    return confirm_regressions(
        suite,
        judge(baseline.only(ids), both, family),
        judge(baseline.only(ids), again.only(ids), len(ids)),
    )


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
    suite: SuiteComparison,
    first: tuple[ResultSet, ResultSet],
    again: tuple[ResultSet, ResultSet],
    *,
    settings: Settings | None = None,
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
    cfg = settings or Settings()
    fresh_ids = {r.id for r in again[0].results} & {r.id for r in again[1].results}
    picked = set(screen_slower(suite)) & fresh_ids
    if not picked:
        return suite
    ids = sorted(picked)
    fresh, both = _fresh_and_both(
        suite, first, again, picked, cfg, paired_prior=paired_prior, mann_whitney=mann_whitney
    )
    curr2 = again[1]
    judged = [i for i in ids if fresh[i].p_value is not None and both[i].ratio is not None]
    one_sided = np.array([_one_sided_p(fresh[i]) for i in judged])
    p_adj = stats.holm(one_sided) if judged else one_sided
    rounds = {r.id: len(set(r.extra.get("rounds", ()))) for r in curr2.results}
    out = {
        i: _confirmed_verdict(
            both[i],
            fresh[i],
            p=float(p),
            p_adj=float(q),
            rounds=rounds[i],
            family=len(judged),
            alpha=cfg.alpha,
        )
        for i, p, q in zip(judged, one_sided, p_adj, strict=True)
    }
    return replace(suite, comparisons=tuple(out.get(c.id, c) for c in suite.comparisons))


def _fresh_and_both(
    suite: SuiteComparison,
    first: tuple[ResultSet, ResultSet],
    again: tuple[ResultSet, ResultSet],
    picked: set[str],
    cfg: Settings,
    *,
    paired_prior: Mapping[str, tuple[float, float]] | None,
    mann_whitney: bool,
) -> tuple[dict[str, Comparison], dict[str, Comparison]]:
    """The picked results judged on their fresh rounds alone (with the learnt prior
    pooled with the first rounds' own spread), and on all rounds together."""
    from perfcore.analysis.noise import pool_spread
    from perfcore.results.readers import merge_runs

    (base1, curr1), (base2, curr2) = first, again
    learnt = {i: v for i, v in (paired_prior or {}).items() if i in picked}
    own = paired_spread(base1.only(picked), curr1.only(picked))
    prior = pool_spread(learnt, own, max_df=math.inf)
    fresh = compare_suites(
        base2.only(picked),
        curr2.only(picked),
        settings=cfg,
        paired=True,
        paired_prior=prior,
        mann_whitney=mann_whitney,
    ).by_id()
    both = compare_suites(
        merge_runs([base1.only(picked), base2.only(picked)]),
        merge_runs([curr1.only(picked), curr2.only(picked)]),
        settings=cfg,
        paired=True,
        paired_prior=paired_prior,
        family_size=len(suite.compared()),
        mann_whitney=mann_whitney,
    ).by_id()
    return dict(fresh), dict(both)


def _one_sided_p(c: Comparison) -> float:
    """``c``'s two-sided p made one-sided towards "slower" (its tests are symmetric)."""
    assert c.p_value is not None
    return c.p_value / 2 if _slower(c, 0.0) else 1 - c.p_value / 2


def _confirmed_verdict(
    both: Comparison,
    fresh: Comparison,
    *,
    p: float,
    p_adj: float,
    rounds: int,
    family: int,
    alpha: float,
) -> Comparison:
    seen = (
        f"fresh rounds {rounds}: ratio {fresh.ratio:.3f}, one-sided p {p:.2g}, "
        f"Holm over {family} re-measured {p_adj:.2g}"
    )
    if p_adj < alpha and _slower(both):
        return replace(
            both,
            verdict="regressed",
            p_value=p,
            p_adjusted=p_adj,
            basis=f"{both.basis}; confirmed, {seen}",
        )
    verdict: Verdict = (
        "noisy" if _slower(both) else ("unchanged" if both.verdict == "regressed" else both.verdict)
    )
    return replace(
        both,
        verdict=verdict,
        p_value=p,
        p_adjusted=p_adj,
        basis=f"{both.basis}; not confirmed, {seen}",
    )


def _screened(c: Comparison, alpha: float) -> bool:
    """Slower than its threshold, at an unadjusted p below ``alpha``."""
    return _slower(c) and c.p_value is not None and c.p_value < alpha


def _slower(c: Comparison, fraction: float = 1.0) -> bool:
    """Whether ``c``'s point ratio is beyond ``fraction`` of its threshold in the bad direction."""
    if c.ratio is None or c.ratio <= 0:
        return False
    bad = math.log(c.ratio) * (1.0 if c.better == "lower" else -1.0)
    return bad > math.log1p(fraction * c.threshold)
