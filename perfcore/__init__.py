"""perfcore: a benchmarking and load-testing harness for machine-learning systems.

The public API is what ``__all__`` lists; everything else is private and may change.
Every public name, ``__version__`` included, is imported on first use (PEP 562), so
``import perfcore`` (and ``perfcore --help``) pays for numpy, psutil, scipy or Jinja2
only when a name that needs them is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from perfcore._lazy import lazy_attributes

if TYPE_CHECKING:  # the same names, for type checkers and IDEs
    from perfcore.analysis.compare import (
        Comparison,
        GateDecision,
        SuiteComparison,
        compare_suites,
        decide_gate,
    )
    from perfcore.analysis.judge import JudgeSettings, judge
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

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "BaselineError": "perfcore.errors",
    "BaselineStore": "perfcore.results.baselines",
    "BatchFileProcessor": "perfcore.components",
    "Comparison": "perfcore.analysis.compare",
    "ComparisonError": "perfcore.errors",
    "ConfigError": "perfcore.errors",
    "FakeLLM": "perfcore.components",
    "GateDecision": "perfcore.analysis.compare",
    "InputError": "perfcore.errors",
    "JudgeSettings": "perfcore.analysis.judge",
    "LLMCache": "perfcore.components",
    "MetricsCollector": "perfcore.instrument",
    "ParallelValidator": "perfcore.components",
    "PerfcoreError": "perfcore.errors",
    "PhaseTracker": "perfcore.instrument.phases",
    "ResourceMonitor": "perfcore.instrument",
    "Result": "perfcore.results",
    "ResultSet": "perfcore.results",
    "SchemaError": "perfcore.errors",
    "ServiceError": "perfcore.errors",
    "Settings": "perfcore.config",
    "SuiteComparison": "perfcore.analysis.compare",
    "TrainingConfig": "perfcore.training",
    "TrainingResult": "perfcore.training",
    "compare_suites": "perfcore.analysis.compare",
    "decide_gate": "perfcore.analysis.compare",
    "evaluate_slos": "perfcore.analysis.slo",
    "find_change_points": "perfcore.analysis.changepoints",
    "judge": "perfcore.analysis.judge",
    "judge_claims": "perfcore.analysis.claims",
    "load_results": "perfcore.results",
    "load_settings": "perfcore.config",
    "make_report": "perfcore.report",
    "parse_slo": "perfcore.analysis.slo",
    "profiled": "perfcore.instrument",
    "read_any": "perfcore.results.readers",
    "run_load": "perfcore.load.orchestrate",
    "run_main_job": "perfcore.runner.main_job",
    "train": "perfcore.training",
}


_lazy_getattr = lazy_attributes(__name__, _LAZY, globals())


def __getattr__(name: str) -> Any:
    if name == "__version__":  # from the installed package's metadata, read when asked
        from perfcore._version import package_version

        globals()[name] = package_version()
        return globals()[name]
    return _lazy_getattr(name)


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
    "JudgeSettings",
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
    "judge",
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
