"""How good are sequential rounds? gate --against simulated from a machine's measured spreads.

Each benchmark's per-round paired log difference is drawn normal with the SD learnt on a
machine (``reports/baselines/<machine>/paired-noise.json``: what ``gate --against``
learnt from its real rounds there), and the gate is played as perfcore plays it:

* ``sequential``: looks after rounds ``min..max`` (:mod:`perfcore.analysis.sequential`),
  each result judged with its variance moderated by the learnt prior (drawn per gate
  from its own chi-square: the learnt file is an estimate too), then the fresh stage
  (``--confirm-rounds`` fresh rounds of the picks, one-sided, Holm over the picks, and a
  ratio over all rounds beyond the threshold);
* ``fixed``: the rule before (``--rounds 5``): every result 5 rounds, the picks those
  slower than half their threshold, the same fresh stage.

False alarms come from no-change gates; power from gates with one benchmark slowed at a
time. Mann-Whitney U's veto and the busy-machine guards are left out (they only remove
alarms), so these are the rule's own figures on well-behaved noise; kept rounds
(``--replay``) judge real rounds with the real judge. Usage::

    python -m studies.gate_sequential --noise reports/baselines/665ff2b9d747/paired-noise.json \\
        --gates 2000 --power-gates 200 --out /tmp/sequential.md
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats as sps

from perfcore._jsonio import read_json_file
from perfcore.analysis.sequential import DECISIONS, SequentialDesign, decide_arrays
from perfcore.config import load_settings
from perfcore.results.noise_store import load_paired_noise
from studies.gate_tables import Tally, render

SLOWDOWNS = (0.05, 0.075, 0.10, 0.15, 0.20, 0.30, 0.50)
RUNNING, SLOWER = DECISIONS.index("running"), DECISIONS.index("slower")


@dataclass(frozen=True)
class Suite:
    """The simulated suite: ids, true per-round SD, learnt prior (var, df), thresholds."""

    ids: tuple[str, ...]
    sd: np.ndarray
    prior_df: np.ndarray
    thresholds: np.ndarray


@dataclass(frozen=True)
class Played:
    """Per gate and benchmark: regressed, picked for the fresh stage, rounds it needed."""

    regressed: np.ndarray
    picked: np.ndarray
    rounds: np.ndarray


Moments = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _moderated(diffs: np.ndarray, n: np.ndarray, s0: np.ndarray, d0: np.ndarray) -> Moments:
    """Mean, SE and df of the first ``n`` differences (per cell), with the prior pooled in."""
    idx = np.arange(diffs.shape[-1])
    used = idx < n[..., None]
    mean = np.where(used, diffs, 0).sum(-1) / n
    var = np.where(used, (diffs - mean[..., None]) ** 2, 0).sum(-1) / np.maximum(n - 1, 1)
    post = (d0 * s0 + (n - 1) * var) / (d0 + n - 1)
    return mean, np.sqrt(post / n), d0 + n - 1, var


def play(
    suite: Suite,
    shift: np.ndarray,
    rng: np.random.Generator,
    *,
    gates: int,
    alpha: float,
    design: SequentialDesign | None,
    fixed_rounds: int = 5,
    fresh: int = 5,
) -> Played:
    """``gates`` gates of the suite with per-benchmark true shifts ``shift`` (log scale)."""
    m = len(suite.ids)
    most = design.max_rounds if design else fixed_rounds
    diffs = rng.normal(shift[:, None], suite.sd[:, None], size=(gates, m, most))
    again = rng.normal(shift[:, None], suite.sd[:, None], size=(gates, m, fresh))
    d0 = np.broadcast_to(suite.prior_df, (gates, m))
    s0 = suite.sd**2 * rng.chisquare(d0) / d0  # the learnt variance, an estimate itself
    band = np.broadcast_to(np.log1p(suite.thresholds), (gates, m))
    if design is None:
        n = np.full((gates, m), fixed_rounds)
        mean = _moderated(diffs, n, s0, d0)[0]
        picked = mean > np.log1p(0.5 * suite.thresholds)
    else:
        n, picked = _looks(diffs, s0, d0, band, alpha=alpha, design=design)
    regressed = _fresh_stage(diffs, again, n, picked, (s0, d0), band=band, alpha=alpha)
    return Played(regressed, picked, n)


def _looks(
    diffs: np.ndarray,
    s0: np.ndarray,
    d0: np.ndarray,
    band: np.ndarray,
    *,
    alpha: float,
    design: SequentialDesign,
) -> tuple[np.ndarray, np.ndarray]:
    """Rounds each cell needed and whether it goes to the fresh stage."""
    decided = np.full(band.shape, RUNNING)
    n = np.full(band.shape, design.max_rounds)
    for k in range(design.min_rounds, design.max_rounds + 1):
        running = decided == RUNNING
        mean, se, df, _ = _moderated(diffs, np.full(band.shape, k), s0, d0)
        half = sps.t.isf((1 - design.inside_confidence) / 2, df) * se
        codes = decide_arrays(
            mean, mean - half, mean + half, sps.t.sf(mean / se, df), band, bound=design.boundary(k)
        )
        now = running & (codes != RUNNING)
        decided[now], n[now] = codes[now], k
    last = _moderated(diffs, n, s0, d0)[0]
    capped = decided == RUNNING
    half_threshold = np.log1p(0.5 * np.expm1(band))
    return n, (decided == SLOWER) | (capped & (last > half_threshold))


def _fresh_stage(
    diffs: np.ndarray,
    again: np.ndarray,
    n: np.ndarray,
    picked: np.ndarray,
    prior: tuple[np.ndarray, np.ndarray],
    *,
    band: np.ndarray,
    alpha: float,
) -> np.ndarray:
    """confirm_in_fresh_rounds: fresh one-sided test, Holm over the picks, ratio beyond."""
    s0, d0 = prior
    first_mean, _, _, own = _moderated(diffs, n, s0, d0)
    pooled_df = d0 + n - 1
    pooled = (d0 * s0 + (n - 1) * own) / pooled_df
    f = again.shape[-1]
    mean2, se2, df2, _ = _moderated(again, np.full(n.shape, f), pooled, pooled_df)
    p = np.where(picked, sps.t.sf(mean2 / se2, df2), 2.0)
    both = (first_mean * n + mean2 * f) / (n + f)
    regressed: np.ndarray = picked & (_holm_rows(p, picked.sum(axis=1)) < alpha) & (both > band)
    return regressed


def _holm_rows(p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Holm-adjusted p per row over its first ``k`` smallest (the picks; others are 2)."""
    order = np.argsort(p, axis=1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=1)
    scale = np.maximum(k[:, None] - np.arange(p.shape[1]), 1)
    adjusted = np.minimum(np.maximum.accumulate(ranked * scale, axis=1), 1.0)
    out = np.empty_like(p)
    np.put_along_axis(out, order, adjusted, axis=1)
    return out


def tally(
    suite: Suite,
    rng: np.random.Generator,
    *,
    gates: int,
    power_gates: int,
    slowdowns: Sequence[float],
    alpha: float,
    design: SequentialDesign | None,
) -> tuple[Tally, np.ndarray]:
    """False alarms over ``gates`` no-change gates, hits over one-at-a-time injections;
    and the rounds each benchmark needed in the no-change gates."""
    t = Tally()
    zero = np.zeros(len(suite.ids))
    base = play(suite, zero, rng, gates=gates, alpha=alpha, design=design)
    t.pairs, t.comparisons = gates, base.regressed.size
    t.alarms = int(base.regressed.sum())
    t.alarm_pairs = int(base.regressed.any(axis=1).sum())
    for i, rid in enumerate(suite.ids):
        for s in slowdowns:
            shift = zero.copy()
            shift[i] = math.log1p(s)
            hit = play(suite, shift, rng, gates=power_gates, alpha=alpha, design=design)
            t.hits[(rid, s)] = int(hit.regressed[:, i].sum())
            t.tries[(rid, s)] = power_gates
    return t, base.rounds


def suite_from(noise: Path, ids: Sequence[str] = ()) -> Suite:
    """A suite from a learnt paired-noise file (its own machine), thresholds from settings."""
    machine = read_json_file(noise).get("machine", "")
    learnt = load_paired_noise(noise, str(machine))
    settings = load_settings()
    chosen = sorted(
        rid for rid, (var, _) in learnt.benchmarks.items() if var > 0 and (not ids or rid in ids)
    )
    return Suite(
        ids=tuple(chosen),
        sd=np.sqrt([learnt.benchmarks[r][0] for r in chosen]),
        prior_df=np.array([learnt.benchmarks[r][1] for r in chosen], dtype=float),
        thresholds=np.array([settings.threshold_for(r) for r in chosen]),
    )


def _interval(hits: int, n: int, level: float = 0.95) -> str:
    """Clopper-Pearson interval of a rate, as text."""
    lo = sps.beta.ppf((1 - level) / 2, hits, n - hits + 1) if hits else 0.0
    hi = sps.beta.ppf(1 - (1 - level) / 2, hits + 1, n - hits) if hits < n else 1.0
    return f"{hits}/{n} = {hits / n:.2%} (95% CI {lo:.2%}-{hi:.2%})"


def _rounds_line(name: str, rounds: np.ndarray) -> str:
    """How many rounds results needed in the no-change gates, and the benchmark-rounds."""
    values, counts = np.unique(rounds, return_counts=True)
    share = ", ".join(f"{v}: {c / rounds.size:.1%}" for v, c in zip(values, counts, strict=True))
    return (
        f"- {name}: rounds a result needed ({share}); per gate {rounds.sum(axis=1).mean():.1f} "
        f"benchmark-rounds a side (the whole suite every round: {rounds.shape[1]} a round)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: simulate the fixed and the sequential rule; print the tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--noise", type=Path, required=True, help="a paired-noise.json")
    parser.add_argument("--gates", type=int, default=2000, help="no-change gates")
    parser.add_argument("--power-gates", type=int, default=200, help="gates per injection")
    parser.add_argument("--min-rounds", type=int, default=2)
    parser.add_argument("--max-rounds", type=int, default=8)
    parser.add_argument("--inside", type=float, default=0.90, help="inside_confidence")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    suite = suite_from(args.noise)
    settings = load_settings()
    design = SequentialDesign(
        settings.alpha, len(suite.ids), args.min_rounds, args.max_rounds, args.inside
    )
    rules = {"fixed: --rounds 5, then 5 fresh": None, "sequential, then 5 fresh": design}
    tallies: dict[str, Tally] = {}
    lines = []
    for name, rule in rules.items():
        rng = np.random.default_rng(args.seed)
        t, rounds = tally(
            suite,
            rng,
            gates=args.gates,
            power_gates=args.power_gates,
            slowdowns=SLOWDOWNS,
            alpha=settings.alpha,
            design=rule,
        )
        tallies[name] = t
        lines.append(f"- {name}: gates with any false alarm {_interval(t.alarm_pairs, t.pairs)}")
        lines.append(_rounds_line(name, rounds))
    bounds = ", ".join(f"{b:.3f}" for b in design.bounds)
    header = (
        f"Simulated from {args.noise} ({len(suite.ids)} benchmarks), alpha {settings.alpha}, "
        f"{args.gates} no-change gates, {args.power_gates} gates per injection; sequential "
        f"looks after rounds {args.min_rounds}-{args.max_rounds}, boundaries (z, per result "
        f"at alpha/{len(suite.ids)}): {bounds}"
    )
    groups: dict[str, list[str]] = {}
    for rid in suite.ids:
        groups.setdefault(rid.split(".")[0], []).append(rid)
    text = render(settings, tallies, groups, SLOWDOWNS, header, per_benchmark=True)
    text = text + "\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
