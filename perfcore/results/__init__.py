"""Results: the one result model, readers of tool output, and the baseline store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perfcore._lazy import lazy_attributes
from perfcore.results.model import (
    SCHEMA,
    Commit,
    Machine,
    Result,
    ResultSet,
    RunInfo,
    load_results,
)

if TYPE_CHECKING:  # the same names, for type checkers
    from perfcore.results.environment import current_commit, current_machine, new_run_info

# The environment probe needs psutil: imported on first use, not with the result model.
__getattr__ = lazy_attributes(
    __name__,
    dict.fromkeys(
        ("current_commit", "current_machine", "new_run_info"), "perfcore.results.environment"
    ),
    globals(),
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
