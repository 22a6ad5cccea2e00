"""The claims file: what the project says about its own performance, in TOML.

``reports/claims.toml`` holds one ``[[claim]]`` table per claim::

    [[claim]]
    name = "cache-reduction"
    description = "The cache cuts backend API calls by 70-90% after warm-up"
    result = "asv.track_cache_backend_call_reduction"   # result id that measures it
    unit = "ratio"          # fraction 0..1
    min = 0.70
    max = 0.90

``min`` and ``max`` are each optional, but one of them must be given: a claim
with only ``min`` reads "at least", one with only ``max`` "at most". Unknown
keys are errors, so a misspelt bound is never silently dropped.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore.errors import InputError, SchemaError

__all__ = ["Claim", "load_claims", "parse_claims"]

_REQUIRED = {"name", "description", "result", "unit"}
_OPTIONAL = {"min", "max"}


@dataclass(frozen=True)
class Claim:
    """One performance claim: the result that measures it and the range it promises."""

    name: str
    description: str
    result: str
    unit: str
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise SchemaError(f"claim {self.name!r}: give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SchemaError(f"claim {self.name!r}: min {self.min} exceeds max {self.max}")

    @property
    def range_text(self) -> str:
        """The promised range in words, e.g. ``0.7 to 0.9 ratio`` or ``at least 5000 req/s``."""
        if self.min is not None and self.max is not None:
            return f"{self.min:g} to {self.max:g} {self.unit}"
        if self.min is not None:
            return f"at least {self.min:g} {self.unit}"
        return f"at most {self.max:g} {self.unit}"


def _bound(name: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SchemaError(f"claim {name!r}: {key} must be a finite number, got {value!r}")
    return float(value)


def _claim(index: int, table: Any) -> Claim:
    if not isinstance(table, Mapping):
        raise SchemaError(f"claim #{index + 1}: expected a table")
    missing = sorted(_REQUIRED - set(table))
    unknown = sorted(set(table) - _REQUIRED - _OPTIONAL)
    label = table.get("name", f"#{index + 1}")
    if missing:
        raise SchemaError(f"claim {label!r}: missing key(s) {', '.join(missing)}")
    if unknown:
        raise SchemaError(f"claim {label!r}: unknown key(s) {', '.join(unknown)}")
    for key in sorted(_REQUIRED):
        if not isinstance(table[key], str) or not table[key].strip():
            raise SchemaError(f"claim {label!r}: {key} must be a non-empty string")
    name = str(table["name"])
    return Claim(
        name=name,
        description=str(table["description"]),
        result=str(table["result"]),
        unit=str(table["unit"]),
        min=_bound(name, "min", table.get("min")),
        max=_bound(name, "max", table.get("max")),
    )


def parse_claims(text: str) -> tuple[Claim, ...]:
    """Claims from the text of a claims file; any problem is a one-line SchemaError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"claim"})
    if unknown:
        raise SchemaError(f"unknown top-level key(s) {', '.join(unknown)} (expected [[claim]])")
    tables = data.get("claim", [])
    if not isinstance(tables, list):
        raise SchemaError("'claim' must be an array of tables ([[claim]])")
    claims = tuple(_claim(i, t) for i, t in enumerate(tables))
    names = [c.name for c in claims]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SchemaError(f"duplicate claim name(s) {', '.join(duplicates)}")
    return claims


def load_claims(path: str | Path) -> tuple[Claim, ...]:
    """Read and validate a claims file."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{target}: no such claims file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{target}: cannot read: {exc}") from None
    try:
        return parse_claims(text)
    except SchemaError as exc:
        raise SchemaError(f"{target}: {exc}") from None
