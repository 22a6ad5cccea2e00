"""Precision variants of the served model: float64, float32, float16 and INT8 weights.

A variant is built from the full-precision predictor the server would serve (the
numpy :class:`~perfcore.serving.model.LinearPredictor`, or the training pipeline's
MLP behind an :class:`~perfcore.serving.model.EstimatorPredictor`) as one or two
dense layers with the standardisation folded into the first. ``float32`` and
``float16`` cast the weights and compute in that type; ``int8`` stores each weight
matrix as int8 with symmetric scales and multiplies the float32 input by it, applying
the scales around the product (weight-only quantisation; activations stay float32).
Scales come per output channel (``channel``), for the whole matrix (``tensor``), or --
the default -- per input feature *and* per output channel (``input-channel``):
``W ~= diag(r) Q diag(c)``, computed as ``((x * r) @ Q) * c``. The default exists
because the served weights have the standardisation folded in: raw features that
span orders of magnitude (breast_cancer's areas near 1000, smoothness near 0.01)
give weights that span them inversely, and one scale per output column rounds the
small ones to zero (the promotion gate refused that variant). Probabilities are
always returned as float64, so the server's JSON and checks are unchanged.

``float64`` is the reference: :func:`make_variant` returns the predictor unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from perfcore.errors import InputError
from perfcore.serving.model import (
    EstimatorPredictor,
    LinearPredictor,
    Predictor,
    probabilities,
)

__all__ = [
    "GRANULARITIES",
    "PRECISIONS",
    "DenseLayer",
    "Precision",
    "VariantPredictor",
    "make_variant",
    "model_bytes",
    "quantise_int8",
    "quantise_int8_rows",
]

Precision = Literal["float64", "float32", "float16", "int8"]
Granularity = Literal["input-channel", "channel", "tensor"]
GRANULARITIES: tuple[Granularity, ...] = ("input-channel", "channel", "tensor")
PRECISIONS: tuple[Precision, ...] = ("float64", "float32", "float16", "int8")
_DTYPES: dict[str, type[np.floating[Any]]] = {
    "float64": np.float64,
    "float32": np.float32,
    "float16": np.float16,
    "int8": np.float32,
}
FloatArray = NDArray[np.float64]


def quantise_int8(
    weight: FloatArray, granularity: Granularity = "channel"
) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """Symmetric INT8 of a (in, out) matrix: ``weight ~= q * scale``, ``|error| <= scale / 2``.

    ``channel`` gives one scale per output column, ``tensor`` one for the matrix.
    A column of zeros gets scale 1 (any scale represents it exactly).
    """
    w = np.asarray(weight, dtype=np.float64)
    peak = np.abs(w).max(axis=0) if granularity == "channel" else np.abs(w).max(keepdims=True)
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantise_int8_rows(
    weight: FloatArray,
) -> tuple[NDArray[np.int8], NDArray[np.float32], NDArray[np.float32]]:
    """``weight ~= diag(rows) @ q * cols``: a scale per input row, then per output column."""
    w = np.asarray(weight, dtype=np.float64)
    peak = np.abs(w).max(axis=1)
    rows = np.where(peak > 0, peak, 1.0)
    q, cols = quantise_int8(w / rows[:, None], "channel")
    return q, cols, rows.astype(np.float32)


@dataclass(frozen=True)
class DenseLayer:
    """``x @ weight * scale + bias``; ``scale`` is set only for INT8 weights."""

    weight: NDArray[Any]  # (in, out)
    bias: NDArray[Any]  # (out,)
    scale: NDArray[np.float32] | None = None  # per output column (or one)
    in_scale: NDArray[np.float32] | None = None  # per input row (input-channel INT8)

    def apply(self, x: NDArray[Any]) -> NDArray[Any]:
        """The layer's output for a batch of rows."""
        if self.in_scale is not None:
            x = x * self.in_scale
        y: NDArray[Any] = x @ self.weight
        if self.scale is not None:
            y = y * self.scale
        return np.asarray(y + self.bias)

    @property
    def nbytes(self) -> int:
        """Bytes the layer's parameters occupy."""
        extra = sum(a.nbytes for a in (self.scale, self.in_scale) if a is not None)
        return int(self.weight.nbytes + self.bias.nbytes + extra)


@dataclass(frozen=True)
class VariantPredictor:
    """A linear model or MLP at a chosen precision; a :class:`Predictor` for the servers."""

    layers: tuple[DenseLayer, ...]  # tanh between layers
    output: Literal["logistic", "softmax"]
    dtype: type[np.floating[Any]]
    n_features: int
    version: str
    precision: Precision

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Probabilities (float64) computed in this variant's precision."""
        h = np.asarray(x).astype(self.dtype, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            for i, layer in enumerate(self.layers):
                h = layer.apply(h)
                if i < len(self.layers) - 1:
                    h = np.tanh(h)
        scores = np.array(h, dtype=np.float64)  # a copy: probabilities works in place
        return probabilities(scores, logistic=self.output == "logistic")

    @property
    def nbytes(self) -> int:
        """Bytes of every layer's parameters."""
        return sum(layer.nbytes for layer in self.layers)


def _float_layers(predictor: Predictor) -> tuple[list[tuple[FloatArray, FloatArray]], str]:
    """(weight (in, out), bias) per layer in float64, and the output kind."""
    if isinstance(predictor, LinearPredictor):
        out = "logistic" if predictor.coef.shape[0] == 1 else "softmax"
        return [(predictor.coef.T.copy(), predictor.intercept.copy())], out
    if isinstance(predictor, EstimatorPredictor):
        est = predictor.estimator
        names = ("w1_", "b1_", "w2_", "b2_")
        if all(hasattr(est, n) for n in names):  # the pipeline's numpy MLP
            w1, b1, w2, b2 = (np.asarray(getattr(est, n), dtype=np.float64) for n in names)
            if predictor.mean is not None and predictor.scale is not None:
                # Fold (x - mean) / scale into the first layer, as the linear fast path does.
                w1 = w1 / predictor.scale[:, None]
                b1 = b1 - predictor.mean @ w1
            return [(w1, b1), (w2, b2)], "softmax"
    raise InputError(
        f"precision variants need a logistic or MLP model "
        f"(simple_transformer); this one is {type(predictor).__name__}"
    )


def make_variant(
    predictor: Predictor, precision: str, granularity: Granularity = "input-channel"
) -> Predictor:
    """``predictor`` at ``precision`` (``float64`` returns it unchanged)."""
    if precision not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if granularity not in GRANULARITIES:
        raise InputError(
            f"unknown INT8 granularity {granularity!r}; choose from {', '.join(GRANULARITIES)}"
        )
    if precision == "float64":
        return predictor
    parts, output = _float_layers(predictor)
    dtype = _DTYPES[precision]
    layers = []
    for weight, bias in parts:
        if precision == "int8" and granularity == "input-channel":
            q, scale, rows = quantise_int8_rows(weight)
            layers.append(DenseLayer(q, bias.astype(np.float32), scale, rows))
        elif precision == "int8":
            q, scale = quantise_int8(weight, granularity)
            layers.append(DenseLayer(q, bias.astype(np.float32), scale))
        else:
            layers.append(DenseLayer(weight.astype(dtype), bias.astype(dtype)))
    return VariantPredictor(
        tuple(layers),
        "logistic" if output == "logistic" else "softmax",
        dtype,
        predictor.n_features,
        f"{predictor.version}+{precision}",
        precision,
    )


def model_bytes(predictor: Predictor) -> int | None:
    """Bytes of the model's parameters, or None where perfcore cannot count them."""
    if isinstance(predictor, VariantPredictor):
        return predictor.nbytes
    try:
        parts, _ = _float_layers(predictor)
    except InputError:
        return None
    return sum(w.nbytes + b.nbytes for w, b in parts)
