"""Argparse ``type=`` functions shared by every command: bounded, finite numbers and lists.

A flag is a trust boundary: ``float("nan")``, ``float("inf")`` and ``1e300`` all parse,
and each once reached a server or a loop that never ended (``--rate inf`` scheduled
every request at once; ``--batch-wait-ms inf`` held a request forever). Each function
here refuses such a value while the command line is parsed, so the message is argparse's
one line, exit 2, and nothing has started yet.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["choice_list", "float_in", "int_in", "list_of"]

T = TypeVar("T")


def float_in(
    low: float, high: float, *, low_open: bool = False, unit: str = ""
) -> Callable[[str], float]:
    """A finite float in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    left = "(" if low_open else "["
    span = f"{left}{low:g}, {high:g}]{' ' + unit if unit else ''}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise argparse.ArgumentTypeError(f"must be a finite number in {span}, got {text!r}")
        return value

    parse.__name__ = "number"  # argparse names the type in some messages
    return parse


def int_in(low: int, high: int) -> Callable[[str], int]:
    """A whole number in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must lie in {low}..{high}, got {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def list_of(item: Callable[[str], T]) -> Callable[[str], tuple[T, ...]]:
    """A comma-separated, non-empty list, each element checked by ``item``."""

    def parse(text: str) -> tuple[T, ...]:
        parts = [part.strip() for part in text.split(",")]
        if not any(parts) or not all(parts):
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list without empty entries, got {text!r}"
            )
        return tuple(item(part) for part in parts)

    parse.__name__ = "list"
    return parse


def choice_list(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    """A comma-separated, non-empty list of names from ``choices``, without repeats."""

    def one(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"unknown name {text!r}; choose from {','.join(choices)}"
            )
        return text

    def parse(text: str) -> tuple[str, ...]:
        names = list_of(one)(text)
        if len(set(names)) != len(names):
            raise argparse.ArgumentTypeError(f"a name is repeated in {text!r}")
        return names

    parse.__name__ = "list"
    return parse
