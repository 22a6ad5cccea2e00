"""The auto-retraining system: outcome monitor, triggers, cost limits, versioned store.

Public API::

    RetrainingSettings          [tool.perfcore.retraining], validated
    OutcomeMonitor, Signal      bounded-memory monitor and its trigger signals
    RetrainingController        triggers -> cooldown -> resources -> cost -> train -> shadow
    Decision                    what the controller did about one trigger
    CostLedger, estimate_cost   O(1) cost estimates, daily/monthly limits (kept in the
                                store's cost-ledger.json across runs), minimum ROI
    ModelStore                  semantic versions, current pointer, retention, rollback
    PipelineTrainer             retrains through perfcore.training
"""

from perfcore.retraining.controller import Decision, RetrainingController
from perfcore.retraining.cost import CostEstimate, CostLedger, estimate_cost
from perfcore.retraining.monitor import OutcomeMonitor, Signal
from perfcore.retraining.settings import RetrainingSettings
from perfcore.retraining.store import ModelStore, StoredVersion, parse_version
from perfcore.retraining.trainer import PipelineTrainer

__all__ = [
    "CostEstimate",
    "CostLedger",
    "Decision",
    "ModelStore",
    "OutcomeMonitor",
    "PipelineTrainer",
    "RetrainingController",
    "RetrainingSettings",
    "Signal",
    "StoredVersion",
    "estimate_cost",
    "parse_version",
]
