"""A predictor that follows the model store's ``current`` pointer without a restart.

At most every ``interval_s`` (on the next request or health check) it compares the
resolved ``current`` directory and its model file's mtime with what it loaded; on a
change (a promotion or a rollback) it loads the new model, and on a failure keeps
serving the old one. Only ``n_features`` and ``version`` look, so a request is
validated and answered by the same model.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from perfcore.errors import InputError
from perfcore.serving.model import FloatArray, Predictor, load_predictor

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

    def __init__(self, model_dir: Path, *, fast: bool = True, interval_s: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._dir = model_dir
        self._fast = fast
        self._interval = interval_s
        self._clock = clock
        self._seen = _fingerprint(model_dir)
        self._inner = load_predictor(model_dir, fast=fast)
        self._next = clock() + interval_s

    def _current(self) -> Predictor:
        now = self._clock()
        if now >= self._next:
            self._next = now + self._interval
            seen = _fingerprint(self._dir)
            if seen is not None and seen != self._seen:
                self._seen = seen
                self._reload()
        return self._inner

    def _reload(self) -> None:
        try:
            self._inner = load_predictor(self._dir, fast=self._fast)
        except (InputError, OSError) as exc:
            print(f"perfcore serve: keeping model {self._inner.version}: {exc}", file=sys.stderr)

    @property
    def n_features(self) -> int:
        """The current model's feature count (may reload first)."""
        return self._current().n_features

    @property
    def version(self) -> str:
        """The current model's version (may reload first)."""
        return self._current().version

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Probabilities from the model last checked."""
        return self._inner.predict_proba(x)
