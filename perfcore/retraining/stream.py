"""Labelled-outcome streams: a seeded synthetic generator and the JSON-lines reader.

One event per line: ``{"prediction": 1, "label": 0, "features": [0.1, ...], "t": 1.7e9}``;
``features`` and ``t`` (seconds since the epoch, never decreasing) are optional, and
every line is validated before it reaches the monitor.

The generator's labels follow a fixed linear rule of the features, so a model
retrained on the stream can learn them; the live model's predictions are right
with probability ``accuracy`` (``accuracy_after`` from ``change_at`` on), and
feature 0 shifts by ``drift`` standard deviations from ``drift_at`` on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError

__all__ = ["Batch", "StreamSpec", "generate", "read_jsonl", "to_jsonl"]

_KEYS = {"prediction", "label", "features", "t"}


@dataclass(frozen=True)
class Batch:
    """Events in stream order; ``times`` in seconds since the epoch, or None."""

    predictions: NDArray[np.int64]
    labels: NDArray[np.int64]
    features: NDArray[np.float64] | None
    times: NDArray[np.float64] | None


@dataclass(frozen=True)
class StreamSpec:
    """A synthetic stream: where its accuracy drops and its features drift."""

    events: int = 100_000
    accuracy: float = 0.60
    accuracy_after: float | None = None
    change_at: int | None = None
    drift: float = 0.0
    drift_at: int | None = None
    n_features: int = 5
    rate: float = 50.0  # events per second of stream time
    start: float = 1.7e9
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("accuracy", "accuracy_after"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise InputError(f"{name} must lie in [0, 1], got {value}")
        if self.events < 1 or self.n_features < 0 or not self.rate > 0:
            raise InputError("events must be >= 1, features >= 0 and rate > 0")
        if not math.isfinite(self.drift):
            raise InputError(f"drift must be finite, got {self.drift}")


def generate(spec: StreamSpec, chunk: int = 100_000) -> Iterator[Batch]:
    """The stream in chunks (bounded memory for any length)."""
    rng = np.random.default_rng(spec.seed)
    weights = rng.normal(size=max(spec.n_features, 1))
    for begin in range(0, spec.events, chunk):
        index = np.arange(begin, min(begin + chunk, spec.events))
        p = np.full(len(index), spec.accuracy)
        if spec.change_at is not None and spec.accuracy_after is not None:
            p[index >= spec.change_at] = spec.accuracy_after
        x = rng.normal(size=(len(index), spec.n_features)) if spec.n_features else None
        if x is not None and spec.drift_at is not None:
            x[index >= spec.drift_at, 0] += spec.drift
        labels = (
            (x @ weights[: spec.n_features] > 0) if x is not None else rng.random(len(index)) < 0.5
        ).astype(np.int64)
        right = rng.random(len(index)) < p
        predictions = np.where(right, labels, 1 - labels)
        yield Batch(predictions, labels, x, spec.start + index / spec.rate)


def to_jsonl(batches: Iterable[Batch]) -> Iterator[str]:
    """Each event as one JSON line."""
    for b in batches:
        for i in range(len(b.labels)):
            event: dict[str, object] = {
                "prediction": int(b.predictions[i]),
                "label": int(b.labels[i]),
            }
            if b.features is not None:
                event["features"] = [round(float(v), 6) for v in b.features[i]]
            if b.times is not None:
                event["t"] = round(float(b.times[i]), 3)
            yield json.dumps(event, separators=(",", ":"))


def _class(value: object, name: str, line: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise InputError(f"line {line}: {name} must be a class number >= 0, got {value!r}")
    return value


def _event(
    text: str, line: int, width: int | None, last_t: float | None
) -> tuple[int, int, list[float] | None, float | None]:
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {line}: not JSON: {exc.msg}") from None
    if not isinstance(event, dict):
        raise InputError(f"line {line}: an event must be a JSON object")
    if unknown := sorted(set(event) - _KEYS):
        raise InputError(f"line {line}: unknown key(s): {', '.join(unknown)}")
    if "prediction" not in event or "label" not in event:
        raise InputError(f"line {line}: an event needs 'prediction' and 'label'")
    features = event.get("features")
    if features is not None and (
        not isinstance(features, list)
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in features
        )
    ):
        raise InputError(f"line {line}: features must be a list of finite numbers")
    got = 0 if features is None else len(features)
    if width is not None and got != width:
        raise InputError(f"line {line}: {got} features, earlier lines had {width}")
    t = event.get("t")
    if t is not None and (
        isinstance(t, bool)
        or not isinstance(t, int | float)
        or not math.isfinite(t)
        or (last_t is not None and t < last_t)
    ):
        raise InputError(f"line {line}: t must be a finite time, never decreasing, got {t!r}")
    return (
        _class(event["prediction"], "prediction", line),
        _class(event["label"], "label", line),
        features,
        None if t is None else float(t),
    )


def read_jsonl(lines: Iterable[str], chunk: int = 1000) -> Iterator[Batch]:
    """Validated batches of up to ``chunk`` events; an InputError names the first bad line."""
    width: int | None = None
    timed: bool | None = None
    last_t: float | None = None
    buf: list[tuple[int, int, list[float] | None, float | None]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        event = _event(text, number, width, last_t)
        if width is None:
            width = 0 if event[2] is None else len(event[2])
        if timed is None:
            timed = event[3] is not None
        elif timed != (event[3] is not None):
            raise InputError(f"line {number}: 't' must be on every line or on none")
        last_t = event[3]
        buf.append(event)
        if len(buf) == chunk:
            yield _batch(buf)
            buf = []
    if buf:
        yield _batch(buf)


def _batch(events: list[tuple[int, int, list[float] | None, float | None]]) -> Batch:
    features = np.array([e[2] for e in events], dtype=float) if events[0][2] else None
    times = None if events[0][3] is None else np.array([e[3] for e in events], dtype=float)
    return Batch(
        np.array([e[0] for e in events]), np.array([e[1] for e in events]), features, times
    )
