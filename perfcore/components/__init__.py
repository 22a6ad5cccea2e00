"""perfcore.components: the systems under test that make the ML system fast.

LLM response cache, fake LLM backend, parallel validator and batch file processor.
"""

from perfcore.components.batch import BatchFileProcessor, BatchSummary, FileError, process_naive
from perfcore.components.cache import CacheFileWarning, CacheStats, LLMCache
from perfcore.components.llm import FakeLLM, FakeLLMStats
from perfcore.components.semantic import DEFAULT_THRESHOLD, AnnSettings, SemanticSettings
from perfcore.components.validator import (
    ParallelValidator,
    ValidationReport,
    ValidationResult,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "AnnSettings",
    "BatchFileProcessor",
    "BatchSummary",
    "CacheFileWarning",
    "CacheStats",
    "FakeLLM",
    "FakeLLMStats",
    "FileError",
    "LLMCache",
    "ParallelValidator",
    "SemanticSettings",
    "ValidationReport",
    "ValidationResult",
    "process_naive",
]
