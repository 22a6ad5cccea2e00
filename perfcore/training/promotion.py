"""The promotion gate and model persistence (skops, never pickle).

A model whose validation metrics clear the gate (accuracy >= ``min_accuracy`` and
ECE <= ``max_ece``) is written to ``<output>/models/current/``; any other model to
``<output>/models/candidates/``. Each model file ``<model_type>.skops`` has a
sibling ``<model_type>.json`` with the metrics, parameters, dataset fingerprint,
gate decision and creation time. Both files are written atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_bytes, atomic_write_json
from perfcore._names import safe_name
from perfcore.errors import ConfigError, InputError
from perfcore.training.metrics import Metrics

__all__ = [
    "TRUSTED_TYPES",
    "GateThresholds",
    "PersistedModel",
    "PromotionDecision",
    "evaluate_gate",
    "load_model",
    "persist_model",
]

METADATA_SCHEMA = "perfcore.model-metadata/1"


@dataclass(frozen=True)
class GateThresholds:
    """What a model must reach to be promoted."""

    min_accuracy: float = 0.85
    max_ece: float = 0.08

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_accuracy <= 1.0:
            raise ConfigError(f"gate minimum accuracy must lie in [0, 1], got {self.min_accuracy}")
        if not 0.0 <= self.max_ece <= 1.0:
            raise ConfigError(f"gate maximum ECE must lie in [0, 1], got {self.max_ece}")


@dataclass(frozen=True)
class PromotionDecision:
    """The promotion gate's verdict and, when it failed, why."""

    passed: bool
    violations: tuple[str, ...]
    thresholds: GateThresholds

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "passed": self.passed,
            "violations": list(self.violations),
            "min_accuracy": self.thresholds.min_accuracy,
            "max_ece": self.thresholds.max_ece,
        }


def evaluate_gate(metrics: Metrics, thresholds: GateThresholds) -> PromotionDecision:
    """Judge ``metrics`` against ``thresholds``."""
    violations: list[str] = []
    if metrics.accuracy < thresholds.min_accuracy:
        violations.append(f"accuracy {metrics.accuracy:.4f} < {thresholds.min_accuracy}")
    if metrics.ece > thresholds.max_ece:
        violations.append(f"ECE {metrics.ece:.4f} > {thresholds.max_ece}")
    return PromotionDecision(not violations, tuple(violations), thresholds)


@dataclass(frozen=True)
class PersistedModel:
    """Where a model and its metadata were written."""

    model_path: Path
    metadata_path: Path
    sha256: str
    promoted: bool


def persist_model(
    model: object,
    metadata: Mapping[str, Any],
    output_dir: Path,
    model_type: str,
    decision: PromotionDecision,
) -> PersistedModel:
    """Write the model (skops) and its metadata JSON under current/ or candidates/."""
    import skops.io as sio

    folder = output_dir / "models" / ("current" if decision.passed else "candidates")
    blob = sio.dumps(model)
    digest = hashlib.sha256(blob).hexdigest()
    model_type = safe_name(model_type, "model type")
    model_path = folder / f"{model_type}.skops"
    metadata_path = folder / f"{model_type}.json"
    document = {
        "schema": METADATA_SCHEMA,
        **metadata,
        "gate": decision.to_dict(),
        "model_file": model_path.name,
        "model_sha256": digest,
    }
    atomic_write_bytes(model_path, blob)
    try:
        atomic_write_json(metadata_path, document)
    except BaseException:
        model_path.unlink(missing_ok=True)  # a model without its metadata is a partial result
        raise
    return PersistedModel(model_path, metadata_path, digest, decision.passed)


# The exact types perfcore's own models put in a skops file beyond skops's built-in safe
# list: the five model classes and the tree of the IsolationForest inside AnomalyModel.
# A prefix rule ("numpy.", "sklearn.") would trust functions such as
# numpy.testing._private.utils.runstring, which skops calls while loading.
TRUSTED_TYPES = frozenset(
    {
        "perfcore.training.models.AnomalyModel",
        "perfcore.training.models.CorrelationModel",
        "perfcore.training.models.HeuristicModel",
        "perfcore.training.models.LogisticModel",
        "perfcore.training.models.SimpleTransformerModel",
        "sklearn.tree._tree.Tree",
    }
)


def load_model(path: Path) -> Any:
    """Load a model written by persist_model; refuses any type outside ``TRUSTED_TYPES``."""
    import skops.io as sio

    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read model: {exc.strerror}") from None
    try:
        untrusted = sio.get_untrusted_types(data=blob)
    except Exception as exc:  # skops raises many types on a corrupt or foreign file
        raise InputError(f"{path}: not a skops model file: {type(exc).__name__}") from None
    refused = sorted(t for t in untrusted if t not in TRUSTED_TYPES)
    if refused:
        raise InputError(f"{path}: refusing untrusted types: {', '.join(refused)}")
    return sio.loads(blob, trusted=list(untrusted))
