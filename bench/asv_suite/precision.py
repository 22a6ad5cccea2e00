"""ASV: each precision variant's single-row and 256-row prediction time and model size."""

from __future__ import annotations

import numpy as np

from perfcore.optimisation.precision import PRECISIONS, make_variant, model_bytes
from perfcore.optimisation.variants import synthetic_evaluation_set
from perfcore.serving.model import synthetic_predictor


class PrecisionVariants:
    """float64 (the reference), float32, float16 and INT8 (per-channel) of the served model."""

    params = (list(PRECISIONS),)
    param_names = ("precision",)

    def setup(self, precision: str) -> None:
        self.variant = make_variant(synthetic_predictor(), precision)
        x = synthetic_evaluation_set(rows=256).x
        self.row = x[:1]
        self.block = np.ascontiguousarray(x)

    def time_single_row(self, precision: str) -> None:
        self.variant.predict_proba(self.row)

    def time_batch256(self, precision: str) -> None:
        self.variant.predict_proba(self.block)

    def track_model_bytes(self, precision: str) -> int:
        return model_bytes(self.variant) or 0

    track_model_bytes.unit = "bytes"  # type: ignore[attr-defined]
