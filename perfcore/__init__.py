"""perfcore: a benchmarking and load-testing harness for machine-learning systems.

The public API is what ``__all__`` lists; everything else is private and may change.
The judging, load and report functions are imported on first use (PEP 562), so
``import perfcore`` does not pay for scipy, Locust orchestration or Jinja2 until
they are needed.
"""

import importlib
from typing import Any

from perfcore.components import BatchFileProcessor, FakeLLM, LLMCache, ParallelValidator
from perfcore.config import Settings, load_settings
from perfcore.errors import (
    BaselineError,
    ComparisonError,
    ConfigError,
    InputError,
    PerfcoreError,
    SchemaError,
    ServiceError,
)
from perfcore.instrument import MetricsCollector, ResourceMonitor, profiled
from perfcore.instrument.phases import PhaseTracker
from perfcore.results import Result, ResultSet, load_results
from perfcore.results.baselines import BaselineStore
from perfcore.training import TrainingConfig, TrainingResult, train

__version__ = "0.1.0"

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "Comparison": "perfcore.analysis.compare",
    "GateDecision": "perfcore.analysis.compare",
    "SuiteComparison": "perfcore.analysis.compare",
    "compare_suites": "perfcore.analysis.compare",
    "decide_gate": "perfcore.analysis.compare",
    "evaluate_slos": "perfcore.analysis.slo",
    "find_change_points": "perfcore.analysis.changepoints",
    "judge_claims": "perfcore.analysis.claims",
    "make_report": "perfcore.report",
    "parse_slo": "perfcore.analysis.slo",
    "read_any": "perfcore.results.readers",
    "run_load": "perfcore.load.orchestrate",
    "run_main_job": "perfcore.mainjob",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'perfcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

__all__ = [
    "BaselineError",
    "BaselineStore",
    "BatchFileProcessor",
    "Comparison",
    "ComparisonError",
    "ConfigError",
    "FakeLLM",
    "GateDecision",
    "InputError",
    "LLMCache",
    "MetricsCollector",
    "ParallelValidator",
    "PerfcoreError",
    "PhaseTracker",
    "ResourceMonitor",
    "Result",
    "ResultSet",
    "SchemaError",
    "ServiceError",
    "Settings",
    "SuiteComparison",
    "TrainingConfig",
    "TrainingResult",
    "__version__",
    "compare_suites",
    "decide_gate",
    "evaluate_slos",
    "find_change_points",
    "judge_claims",
    "load_results",
    "load_settings",
    "make_report",
    "parse_slo",
    "profiled",
    "read_any",
    "run_load",
    "run_main_job",
    "train",
]
