"""Checked conversions of values read from tool output: skip what cannot be used, with a warning.

The readers follow the tools' own behaviour where a file holds one bad value among good
ones (pytest-benchmark's ``compare`` reads such a file): the value is left out and an
:class:`~perfcore.errors.InputWarning` says so; only a file with nothing usable is an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from perfcore.errors import InputWarning, SchemaError, SkippedResultWarning

__all__ = ["expect_mapping", "finite", "lenient_int", "skip", "usable_numbers"]


def skip(message: str, result_id: str | None = None) -> None:
    """Report a value, or the whole result ``result_id``, left out (the read goes on)."""
    if result_id:
        warnings.warn(SkippedResultWarning(message, result_id), stacklevel=3)
    else:
        warnings.warn(message, InputWarning, stacklevel=3)


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def usable_numbers(values: Any, what: str) -> list[float]:
    """The finite numbers of a list; every other entry skipped with one warning."""
    if not isinstance(values, list):
        raise SchemaError(f"{what}: expected a list of numbers, got {type(values).__name__}")
    numbers = [n for v in values if (n := finite(v)) is not None]
    if len(numbers) < len(values):
        bad = next(v for v in values if finite(v) is None)
        skip(
            f"{what}: {len(values) - len(numbers)} value(s) that are not finite numbers "
            f"skipped (first: {bad!r:.40})"
        )
    return numbers


def lenient_int(value: Any) -> int:
    """An informational count (cores, memory) as an int, 0 when it is not one."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):
        value = value.strip()
        return int(value) if value.isdigit() and len(value) < 20 else 0
    number = finite(value)
    return int(number) if number is not None and number >= 0 else 0


def expect_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` when it is an object; a SchemaError naming ``what`` otherwise."""
    if not isinstance(value, Mapping):
        raise SchemaError(f"{what}: expected an object, got {type(value).__name__}")
    return value
