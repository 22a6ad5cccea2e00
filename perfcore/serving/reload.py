"""A predictor that follows the model store's ``current`` pointer without a restart.

At most every ``interval_s`` (on the next request or health check) it compares the
resolved ``current`` directory and its model file's mtime with what it loaded; on a
change (a promotion or a rollback) it loads the new model, and on a failure keeps
serving the old one. Only ``n_features`` looks: it is the first thing a request (and
``/health``) reads, so ``predict_proba`` and ``version`` after it use the model the
request was validated against, and the hot path pays one clock read per request.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from perfcore.errors import InputError
from perfcore.serving.model import FloatArray, load_predictor

__all__ = ["ReloadingPredictor"]

Fingerprint = tuple[str, tuple[tuple[str, int], ...]] | None


def _fingerprint(model_dir: Path) -> Fingerprint:
    try:
        real = os.path.realpath(model_dir)
        files = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in Path(real).glob("*.skops")))
    except OSError:
        return None
    return real, files


class ReloadingPredictor:
    """Delegates to the model in ``model_dir``, reloading it when the directory changes."""

    def __init__(
        self,
        model_dir: Path,
        *,
        fast: bool = True,
        interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dir = model_dir
        self._fast = fast
        self._interval = interval_s
        self._clock = clock
        self._seen = _fingerprint(model_dir)
        self._inner = load_predictor(model_dir, fast=fast)
        self._next = clock() + interval_s

    def _check(self, now: float) -> None:
        self._next = now + self._interval
        seen = _fingerprint(self._dir)
        if seen is not None and seen != self._seen:
            self._seen = seen
            self._reload()

    def _reload(self) -> None:
        try:
            self._inner = load_predictor(self._dir, fast=self._fast)
        except (InputError, OSError) as exc:
            print(f"perfcore serve: keeping model {self._inner.version}: {exc}", file=sys.stderr)

    @property
    def n_features(self) -> int:
        """The current model's feature count; once the interval has passed, reloads first."""
        # The deadline is compared inline: no call and no stat on the per-request path.
        now = self._clock()
        if now >= self._next:
            self._check(now)
        return self._inner.n_features

    @property
    def version(self) -> str:
        """The version of the model in use (the one that answered the request); no look."""
        # Looking here too could swap the model between a request's prediction and its
        # answer, naming a version that did not predict (and cost a second clock read).
        return self._inner.version

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Probabilities from the model last checked."""
        return self._inner.predict_proba(x)

    def predict_row(self, row: list[float]) -> list[float] | None:
        """One row's probabilities in plain floats where the current model has that path."""
        plain = getattr(self._inner, "predict_row", None)
        return plain(row) if plain is not None else None
