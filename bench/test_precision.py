"""Each precision variant of the served model: single-row latency, batch throughput, memory.

Result ids ``precision.<variant>.row`` (seconds per single-row prediction, the
server's unbatched hot path), ``precision.<variant>.batch256`` (seconds per row in
256-row calls, the micro-batched path) and ``precision.<variant>.model_bytes``.
The accuracy/ECE side is the promotion gate's (tests/optimisation, ``perfcore precision``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from benchutil import Profile, collected, record_per_op, record_samples

from perfcore.optimisation.precision import PRECISIONS, make_variant, model_bytes
from perfcore.optimisation.variants import synthetic_evaluation_set
from perfcore.serving.model import synthetic_predictor

ROW_OPS = 500
BATCH = 256


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """Held-out rows for the synthetic model, built once."""
    return synthetic_evaluation_set(rows=ROW_OPS).x


@pytest.mark.parametrize("precision", PRECISIONS)
def test_single_row(benchmark: Any, profile: Profile, rows: np.ndarray, precision: str) -> None:
    """Seconds per single-row predict_proba call."""
    variant = make_variant(synthetic_predictor(), precision)
    singles = [r[None, :] for r in rows]

    def loop() -> None:
        for row in singles:
            variant.predict_proba(row)

    benchmark.pedantic(
        loop, setup=collected(), rounds=profile.rounds(20, 3), warmup_rounds=profile.warmup(2)
    )
    record_per_op(benchmark, ROW_OPS, result_id=f"precision.{precision}.row")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_batch(benchmark: Any, profile: Profile, rows: np.ndarray, precision: str) -> None:
    """Seconds per row in 256-row predict_proba calls (the micro-batched path)."""
    variant = make_variant(synthetic_predictor(), precision)
    block = np.resize(rows, (BATCH, rows.shape[1]))

    def loop() -> None:
        for _ in range(20):
            variant.predict_proba(block)

    benchmark.pedantic(
        loop, setup=collected(), rounds=profile.rounds(20, 3), warmup_rounds=profile.warmup(2)
    )
    record_per_op(benchmark, 20 * BATCH, result_id=f"precision.{precision}.batch256")


@pytest.mark.parametrize("precision", PRECISIONS)
def test_model_bytes(benchmark: Any, precision: str) -> None:
    """Bytes of the variant's parameters (deterministic: one sample)."""
    variant = benchmark(make_variant, synthetic_predictor(), precision)
    size = model_bytes(variant)
    assert size is not None
    record_samples(
        benchmark,
        [float(size)],
        unit="bytes",
        better="lower",
        result_id=f"precision.{precision}.model_bytes",
    )
