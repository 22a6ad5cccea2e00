"""perfcore.instrument: phase tracker, resource monitor, profiling decorator, metrics."""

from perfcore.instrument.metrics import CycleMetrics, CycleSummary, MetricsCollector
from perfcore.instrument.monitor import Alert, AlertRule, ResourceMonitor, Sample
from perfcore.instrument.profiling import (
    ProfileRegistry,
    ProfileStats,
    disable_profiling,
    enable_profiling,
    profiled,
)

__all__ = [
    "Alert",
    "AlertRule",
    "CycleMetrics",
    "CycleSummary",
    "MetricsCollector",
    "ProfileRegistry",
    "ProfileStats",
    "ResourceMonitor",
    "Sample",
    "disable_profiling",
    "enable_profiling",
    "profiled",
]
