"""perfcore: a benchmarking and load-testing harness for machine-learning systems.

The public API is what ``__all__`` lists; everything else is private and may change.
"""

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

__all__ = [
    "BaselineError",
    "BaselineStore",
    "BatchFileProcessor",
    "ComparisonError",
    "ConfigError",
    "FakeLLM",
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
    "TrainingConfig",
    "TrainingResult",
    "__version__",
    "load_results",
    "load_settings",
    "profiled",
    "train",
]
