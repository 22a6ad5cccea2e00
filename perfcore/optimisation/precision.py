"""Precision variants of a served model: they live with serving, which builds them.

The variants (:mod:`perfcore.serving.precision`) are how a server predicts, so serving
owns them and optimisation (the gate per variant, tuning) uses them; this module keeps
the names importable from here.
"""

from perfcore.serving.precision import (
    PRECISIONS,
    Precision,
    make_variant,
    model_bytes,
)

__all__ = ["PRECISIONS", "Precision", "make_variant", "model_bytes"]
