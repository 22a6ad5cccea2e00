"""What the model-reload check costs a request: ReloadingPredictor vs the plain model.

One request touches the predictor three times (``n_features`` to validate,
``predict_proba`` of its row, ``version`` for the answer), as perfcore/serving/app.py
does; with reload on (``--reload-ms 500``, the default) ``n_features`` first compares
a monotonic deadline (the file-system look itself runs at most twice a second), with
``--reload-ms 0`` the server holds the plain predictor. Result ids:
``serving.reload.request.<on|off>`` (seconds per request's predictor calls) and
``serving.reload.on_over_off`` (their ratio, the two sides alternating within each
round, so the shared machine's drift hits both). docs/retraining.md has figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from benchutil import Profile, collected, interleaved_ratios, record_per_op, record_samples

from perfcore.retraining import ModelStore
from perfcore.retraining.publish import publish
from perfcore.serving.model import Predictor, load_predictor
from perfcore.serving.reload import ReloadingPredictor
from perfcore.training import GateThresholds, TrainingConfig, train

REQUESTS = 2_000


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store's ``current`` directory with one trained logistic model."""
    root = tmp_path_factory.mktemp("reload")
    result = train(
        TrainingConfig(
            dataset="breast_cancer",
            num_samples=200,
            seed=1,
            output_dir=root / "train",
            gate=GateThresholds(min_accuracy=0.0, max_ece=1.0),
        )
    )
    store = ModelStore(root / "models")
    publish(store, result)
    return store.current_path


def _predictor(model_dir: Path, reload: bool) -> Predictor | ReloadingPredictor:
    return ReloadingPredictor(model_dir, interval_s=0.5) if reload else load_predictor(model_dir)


def _requests(predictor: Predictor | ReloadingPredictor, rows: list[np.ndarray]) -> None:
    for row in rows:
        if predictor.n_features:
            predictor.predict_proba(row)
        _ = predictor.version


def _rows(model_dir: Path) -> list[np.ndarray]:
    width = load_predictor(model_dir).n_features
    x = np.random.default_rng(0).normal(size=(REQUESTS, width))
    return [r[None, :] for r in x]


@pytest.mark.parametrize("reload", [True, False], ids=["on", "off"])
def test_request_path(benchmark: Any, profile: Profile, model_dir: Path, reload: bool) -> None:
    """Seconds per request's predictor calls, reload check on or off."""
    predictor, rows = _predictor(model_dir, reload), _rows(model_dir)
    benchmark.pedantic(
        _requests,
        args=(predictor, rows),
        rounds=profile.rounds(20, 3),
        warmup_rounds=profile.warmup(1),
    )
    record_per_op(
        benchmark, REQUESTS, result_id=f"serving.reload.request.{'on' if reload else 'off'}"
    )


def test_reload_overhead_ratio(benchmark: Any, profile: Profile, model_dir: Path) -> None:
    """Request time with the reload check over without it, side by side in each round."""
    on, off, rows = _predictor(model_dir, True), _predictor(model_dir, False), _rows(model_dir)
    ratios: list[float] = []
    on_s: list[float] = []
    off_s: list[float] = []

    def pair() -> None:
        got, slow, fast = interleaved_ratios(
            lambda: _requests(on, rows), lambda: _requests(off, rows), 2
        )
        ratios.extend(got)
        on_s.extend(slow)
        off_s.extend(fast)

    benchmark.pedantic(pair, setup=collected(), rounds=profile.rounds(10, 2), warmup_rounds=1)
    record_samples(
        benchmark, ratios[2:], unit="ratio", better="lower", result_id="serving.reload.on_over_off"
    )
    benchmark.extra_info["median_request_s"] = {
        "on": float(np.median(on_s[2:])) / REQUESTS,
        "off": float(np.median(off_s[2:])) / REQUESTS,
    }


def _looks(predictor: Predictor | ReloadingPredictor, rows: list[np.ndarray]) -> None:
    for _ in rows:
        if predictor.n_features:
            _ = predictor.version


def test_reload_check_overhead(benchmark: Any, profile: Profile, model_dir: Path) -> None:
    """Seconds the check adds to one request's looks (on minus off, side by side per round).

    Without the prediction the difference stands clear of the noise that hides it
    in the whole request; a stat or a lock on the per-request path shows up here.
    """
    on, off, rows = _predictor(model_dir, True), _predictor(model_dir, False), _rows(model_dir)
    extra: list[float] = []

    def pair() -> None:
        _, slow, fast = interleaved_ratios(lambda: _looks(on, rows), lambda: _looks(off, rows), 2)
        extra.extend((a - b) / REQUESTS for a, b in zip(slow, fast, strict=True))

    benchmark.pedantic(pair, setup=collected(), rounds=profile.rounds(20, 3), warmup_rounds=1)
    record_samples(
        benchmark, extra[2:], unit="s", better="lower", result_id="serving.reload.check_overhead"
    )
