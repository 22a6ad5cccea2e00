"""What a reader found out about whether two results may be compared, and on what terms.

Pure functions over :class:`~perfcore.results.model.Result` for the judge:

* :func:`version_changed`: asv gives each benchmark a ``version`` (a hash of its
  code, or the ``version`` attribute); results of two versions measure different
  code and asv never compares them. Neither should a gate: report the pair as its
  own outcome instead.
* :func:`basis`: what the samples are -- ``"samples"`` (raw samples), ``"summary"``
  (median and spread only), ``"single"`` (one value of unknown spread: asv
  ``peakmemory``, fractional ``track`` values, Locust run totals) or
  ``"deterministic"`` (one value the same code always gives: asv ``memory``,
  whole-number ``track`` counts), which can be compared exactly.
"""

from __future__ import annotations

from typing import Literal

from perfcore.results.model import Result

__all__ = ["Basis", "basis", "is_deterministic", "version_changed"]

Basis = Literal["samples", "summary", "single", "deterministic"]


def version_changed(base: Result, curr: Result) -> bool:
    """True when both results carry a benchmark version and the versions differ."""
    old, new = base.extra.get("version"), curr.extra.get("version")
    return old is not None and new is not None and str(old) != str(new)


def is_deterministic(result: Result) -> bool:
    """True for a value the same code reproduces exactly (compare it exactly, not by noise)."""
    return result.extra.get("deterministic") is True


def basis(result: Result) -> Basis:
    """What ``result.samples`` hold: raw samples, a summary, one value, or an exact value."""
    if is_deterministic(result):
        return "deterministic"
    origin = result.extra.get("samples_from")
    if origin == "summary":
        return "summary"
    if origin == "single":
        return "single"
    return "samples"
