"""The claims ledger: each claim judged against the number that measures it.

A claim is ``confirmed`` when the measured median lies inside its range,
``refuted`` when it lies outside, and ``not measured`` when no result carries
its id (or the result's unit cannot be converted to the claim's unit). A load
claim finds its result under any name of the metric table (a claim on
``load.local.rps`` is measured by ``load.local.throughput``; docs/metrics.md). The
measured number is always kept, so the ledger shows how far off a claim is.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from perfcore.results.claims_file import Claim
from perfcore.results.metric_names import split_load_id
from perfcore.results.model import Result

__all__ = ["ClaimStatus", "ClaimVerdict", "convert_unit", "judge_claim", "judge_claims"]

ClaimStatus = Literal["confirmed", "refuted", "not measured"]

# Units that convert into each other by a factor: unit -> (dimension, factor to base).
_UNITS: dict[str, tuple[str, float]] = {
    "s": ("time", 1.0),
    "ms": ("time", 1e-3),
    "us": ("time", 1e-6),
    "µs": ("time", 1e-6),
    "ns": ("time", 1e-9),
    "bytes": ("size", 1.0),
    "B": ("size", 1.0),
    "KiB": ("size", 1024.0),
    "MiB": ("size", 1024.0**2),
    "GiB": ("size", 1024.0**3),
    "MB": ("size", 1e6),
    "ratio": ("fraction", 1.0),
    "%": ("fraction", 0.01),
    "percent": ("fraction", 0.01),
    "x": ("factor", 1.0),
    "factor": ("factor", 1.0),
    "req/s": ("rate", 1.0),
    "/s": ("rate", 1.0),
    "ops/s": ("rate", 1.0),
}


@dataclass(frozen=True)
class ClaimVerdict:
    """One line of the ledger: the claim, the measured value in the claim's unit, the status."""

    claim: Claim
    status: ClaimStatus
    measured: float | None
    note: str = ""


def convert_unit(value: float, unit: str, target: str) -> float | None:
    """``value`` in ``unit`` expressed in ``target``; None when the two do not convert."""
    if unit == target:
        return value
    src, dst = _UNITS.get(unit), _UNITS.get(target)
    if src is None or dst is None or src[0] != dst[0]:
        return None
    return value * src[1] / dst[1]


def judge_claim(claim: Claim, result: Result | None) -> ClaimVerdict:
    """Judge one claim against the result that measures it (None when it was not run)."""
    if result is None or not result.samples:
        return ClaimVerdict(claim, "not measured", None, f"no result {claim.result!r}")
    median = statistics.median(result.samples)
    value = convert_unit(median, result.unit, claim.unit)
    if value is None:
        note = f"result unit {result.unit!r} does not convert to {claim.unit!r}"
        return ClaimVerdict(claim, "not measured", None, note)
    low_ok = claim.min is None or value >= claim.min
    high_ok = claim.max is None or value <= claim.max
    if low_ok and high_ok:
        return ClaimVerdict(claim, "confirmed", value, f"median of {len(result.samples)}")
    side = "below" if not low_ok else "above"
    return ClaimVerdict(claim, "refuted", value, f"{side} the claimed range")


def _canonical_id(result_id: str) -> str:
    split = split_load_id(result_id)
    return result_id if split is None else f"load.{split[0]}.{split[1]}"


def judge_claims(
    claims: Iterable[Claim], results: Mapping[str, Result]
) -> tuple[ClaimVerdict, ...]:
    """The whole ledger, in the claims file's order (load metric aliases resolved)."""
    canonical = {_canonical_id(rid): r for rid, r in results.items()}
    return tuple(
        judge_claim(c, results.get(c.result) or canonical.get(_canonical_id(c.result)))
        for c in claims
    )
