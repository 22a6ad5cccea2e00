"""Interleaved rounds judged pair by pair: round labels, per-round differences, their spread.

``perfcore gate --against`` runs REF and the working tree in alternating rounds; a result
whose two sides carry the same round labels is judged on its per-round log differences
(:func:`perfcore.analysis.stats.compare_paired`) instead of the two sides apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from perfcore.analysis import stats
from perfcore.errors import InputError
from perfcore.results.model import Result, ResultSet

__all__ = ["paired_spread", "round_differences"]


def rounds_of(result: Result) -> npt.NDArray[np.int64] | None:
    """The round label of each sample (``extra["rounds"]``), or None where it has none."""
    rounds = result.extra.get("rounds")
    if rounds is None:
        return None
    if not isinstance(rounds, list) or len(rounds) != len(result.samples):
        raise InputError(f"result {result.id}: extra.rounds must label every sample")
    try:
        return np.asarray(rounds, dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(f"result {result.id}: extra.rounds must be integers") from None


def round_differences(b: Result, c: Result) -> stats.FloatArray | None:
    """Per-round log differences of two results measured in interleaved rounds, or None.

    Where both sides say ``extra["turns"]`` (their rounds were timed in turns, sample by
    sample), a round's difference pairs the samples (``paired_differences(lockstep=True)``).
    """
    rb, rc = rounds_of(b), rounds_of(c)
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


def paired_rows(
    rows: Sequence[tuple[Result, Result]],
    res: stats.TwoSampleStats,
    bases: list[str],
    prior: Mapping[str, tuple[float, float]],
    *,
    alpha: float,
    m: int,
    guard: str,
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
    sub = stats.compare_paired(
        found, prior_var, prior_df, confidence=1 - alpha, mdc_alpha=alpha / m, guard=guard
    )
    fields = {name: getattr(res, name).copy() for name in stats.TwoSampleStats.__dataclass_fields__}
    for name, column in fields.items():
        column[idx] = getattr(sub, name)
    for j, i in enumerate(idx):
        source = "learnt" if ids[j] in prior else "suite"
        bases[i] = (
            f"paired rounds {found[j].size}, prior df {prior_df[j]:.3g} ({source}), "
            f"df {sub.df[j]:.3g}"
        )
    return stats.TwoSampleStats(**fields)
