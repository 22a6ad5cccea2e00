"""Results: the one result model, readers of tool output, and the baseline store."""

from perfcore.results.environment import current_commit, current_machine, new_run_info
from perfcore.results.model import (
    SCHEMA,
    Commit,
    Machine,
    Result,
    ResultSet,
    RunInfo,
    load_results,
)

__all__ = [
    "SCHEMA",
    "Commit",
    "Machine",
    "Result",
    "ResultSet",
    "RunInfo",
    "current_commit",
    "current_machine",
    "load_results",
    "new_run_info",
]
