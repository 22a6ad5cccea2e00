"""Judge a precision variant with the promotion gate, and measure every variant side by side.

The gate is the training pipeline's own (:func:`perfcore.training.evaluate_gate`),
with thresholds relative to the full-precision model on the same held-out rows: the
variant's accuracy may fall by at most ``max_accuracy_drop`` and its ECE rise by at
most ``max_ece_rise``. A variant that fails is refused (``VariantRefusedError``, exit 2).

The held-out rows are the model's own validation split, rebuilt from the training
parameters in its metadata (dataset, samples, seed, test fraction), so the check
needs no data file beside the model.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError
from perfcore.optimisation.precision import PRECISIONS, make_variant, model_bytes
from perfcore.serving.model import Predictor
from perfcore.training import (
    GateThresholds,
    Metrics,
    PromotionDecision,
    TrainingConfig,
    compute_metrics,
    evaluate_gate,
    load_data,
    preprocess,
)

__all__ = [
    "EvaluationSet",
    "VariantCheck",
    "VariantRefusedError",
    "VariantRow",
    "VariantTolerance",
    "check_variant",
    "evaluation_set",
    "measure_variants",
    "reference_model",
    "synthetic_evaluation_set",
]

FloatArray = NDArray[np.float64]


class VariantRefusedError(InputError):
    """A precision variant failed the promotion gate against the full-precision model."""


@dataclass(frozen=True)
class VariantTolerance:
    """How far a variant may move from the full-precision model's accuracy and ECE."""

    max_accuracy_drop: float = 0.01
    max_ece_rise: float = 0.01

    def __post_init__(self) -> None:
        if not (0 <= self.max_accuracy_drop <= 1 and 0 <= self.max_ece_rise <= 1):
            raise InputError("variant tolerances must lie in [0, 1]")


@dataclass(frozen=True, eq=False)
class EvaluationSet:
    """Raw (unstandardised) held-out rows and their labels."""

    x: FloatArray
    y: NDArray[np.int64]
    source: str


@dataclass(frozen=True)
class VariantCheck:
    """A variant's metrics beside the reference's, and the gate's decision."""

    precision: str
    reference: Metrics
    metrics: Metrics
    decision: PromotionDecision

    @property
    def accuracy_delta(self) -> float:
        """Variant accuracy minus reference accuracy."""
        return self.metrics.accuracy - self.reference.accuracy

    @property
    def ece_delta(self) -> float:
        """Variant ECE minus reference ECE."""
        return self.metrics.ece - self.reference.ece


def check_variant(
    reference: Predictor,
    variant: Predictor,
    data: EvaluationSet,
    tolerance: VariantTolerance,
    precision: str,
) -> VariantCheck:
    """Judge ``variant`` against ``reference`` with the promotion gate."""
    ref = compute_metrics(reference.predict_proba(data.x), data.y)
    got = compute_metrics(variant.predict_proba(data.x), data.y)
    thresholds = GateThresholds(
        min_accuracy=max(0.0, ref.accuracy - tolerance.max_accuracy_drop),
        max_ece=min(1.0, ref.ece + tolerance.max_ece_rise),
    )
    return VariantCheck(precision, ref, got, evaluate_gate(got, thresholds))


def require_variant(
    reference: Predictor, precision: str, data: EvaluationSet, tolerance: VariantTolerance
) -> tuple[Predictor, VariantCheck]:
    """The variant at ``precision`` if it passes the gate, else :class:`VariantRefusedError`."""
    variant = make_variant(reference, precision)
    check = check_variant(reference, variant, data, tolerance, precision)
    if not check.decision.passed:
        raise VariantRefusedError(
            f"precision {precision} refused by the promotion gate: "
            f"{'; '.join(check.decision.violations)}"
        )
    return variant, check


def evaluation_set(model_dir: Path) -> EvaluationSet:
    """The validation split of the newest model in ``model_dir``, from its metadata."""
    files = sorted(model_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise InputError(f"{model_dir}: no model metadata (.json) to rebuild the validation set")
    try:
        meta = json.loads(files[-1].read_text(encoding="utf-8"))
        params: dict[str, Any] = meta["params"]
        config = TrainingConfig(
            dataset=str(params["dataset"]),
            num_samples=params.get("num_samples"),
            seed=int(params["seed"]),
            test_fraction=float(params["test_fraction"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{files[-1]}: metadata lacks the training parameters: {exc}") from None
    try:
        frame = load_data(config)
    except InputError as exc:
        # `perfcore retrain` trains on a temporary CSV of the remembered rows, gone after
        # the run: say why the gate cannot run rather than only that a file is missing.
        raise InputError(
            f"{model_dir}: cannot rebuild the validation rows the precision gate "
            f"needs ({exc}); a model retrained by `perfcore retrain` was trained "
            "on temporary rows: serve it at float64"
        ) from None
    prepared = preprocess(frame, config)
    raw = prepared.X_test * prepared.scale + prepared.mean
    return EvaluationSet(raw, prepared.y_test, f"{config.dataset} validation split")


def synthetic_evaluation_set(
    n_features: int = 16, seed: int = 0, rows: int = 2000
) -> EvaluationSet:
    """Fresh rows for :func:`perfcore.serving.model.synthetic_predictor`'s model.

    Replays that function's generator (400 training rows, then the true weights) to
    recover the weights, then draws new rows from the same distribution.
    """
    rng = np.random.default_rng(seed)
    rng.normal(size=(400, n_features))
    weights = rng.normal(size=n_features)
    rng.normal(scale=0.5, size=400)
    x = rng.normal(size=(rows, n_features))
    y = (x @ weights + rng.normal(scale=0.5, size=rows) > 0).astype(np.int64)
    return EvaluationSet(x, y, f"synthetic-{n_features}-{seed} fresh rows")


def reference_model(model_dir: Path | None) -> tuple[Predictor, EvaluationSet]:
    """The full-precision predictor a server would load and its held-out rows.

    ``None`` is the synthetic model servers use with ``--synthetic-model``.
    """
    from perfcore.serving.model import load_predictor, synthetic_predictor

    if model_dir is None:
        return synthetic_predictor(), synthetic_evaluation_set()
    return load_predictor(model_dir), evaluation_set(model_dir)


@dataclass(frozen=True)
class VariantRow:
    """One precision's figures in the side-by-side table."""

    precision: str
    accuracy_delta: float
    ece_delta: float
    gate_passed: bool
    p50_us: float
    p99_us: float
    rows_per_s: float
    model_bytes: int | None
    peak_alloc_bytes: int


def _latencies_us(
    predictor: Predictor, rows: FloatArray, calls: int, clock: Callable[[], int]
) -> FloatArray:
    out = np.empty(calls)
    for i in range(calls):
        row = rows[i % len(rows)][None, :]
        start = clock()
        predictor.predict_proba(row)
        out[i] = (clock() - start) / 1e3
    return out


def _throughput(
    predictor: Predictor, rows: FloatArray, batch: int, repeats: int, clock: Callable[[], int]
) -> float:
    block = np.resize(rows, (batch, rows.shape[1]))
    predictor.predict_proba(block)  # warm: first-call costs (BLAS set-up) are not throughput
    start = clock()
    for _ in range(repeats):
        predictor.predict_proba(block)
    return batch * repeats / max((clock() - start) / 1e9, 1e-12)


def _peak_alloc(predictor: Predictor, rows: FloatArray, batch: int) -> int:
    block = np.resize(rows, (batch, rows.shape[1]))
    tracemalloc.start()
    try:
        predictor.predict_proba(block)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_variants(
    reference: Predictor,
    data: EvaluationSet,
    tolerance: VariantTolerance,
    *,
    calls: int = 2000,
    batch: int = 256,
    repeats: int = 50,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> list[VariantRow]:
    """Every precision's accuracy/ECE change, single-row latency, batch throughput, memory."""
    rows: list[VariantRow] = []
    for precision in PRECISIONS:
        variant = make_variant(reference, precision)
        check = check_variant(reference, variant, data, tolerance, precision)
        lat = _latencies_us(variant, data.x, calls, clock)
        rows.append(
            VariantRow(
                precision,
                check.accuracy_delta,
                check.ece_delta,
                check.decision.passed,
                float(np.percentile(lat, 50)),
                float(np.percentile(lat, 99)),
                _throughput(variant, data.x, batch, repeats, clock),
                model_bytes(variant),
                _peak_alloc(variant, data.x, batch),
            )
        )
    return rows
