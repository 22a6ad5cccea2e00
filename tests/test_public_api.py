"""The public face of perfcore is pinned: adding or removing a name is a decision."""

import subprocess
import sys

import perfcore

PINNED = [
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


def test_public_api_is_pinned() -> None:
    """The exported names are exactly the reviewed list, in order."""
    assert perfcore.__all__ == PINNED


def test_all_names_resolve() -> None:
    """Every name in __all__ is importable from the package."""
    for name in perfcore.__all__:
        assert hasattr(perfcore, name), name


def test_all_is_sorted_and_unique() -> None:
    """__all__ has no duplicates, so the pinned list is easy to review."""
    assert len(set(perfcore.__all__)) == len(perfcore.__all__)


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m perfcore --version` answers like the console command."""
    done = subprocess.run(
        [sys.executable, "-m", "perfcore", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("perfcore ")


def test_unknown_subcommand_is_usage_error() -> None:
    """A wrong subcommand exits 2 with one line, no traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "perfcore", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_lazy_names_import_on_first_use() -> None:
    """Judging and report names resolve from the package without importing scipy up front."""
    code = (
        "import sys, perfcore; assert 'scipy' not in sys.modules; "
        "assert callable(perfcore.compare_suites); assert 'scipy.stats' in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_unknown_attribute_is_attribute_error() -> None:
    """A name outside the API raises AttributeError, as for any module."""
    import pytest

    with pytest.raises(AttributeError):
        _ = perfcore.no_such_name  # type: ignore[attr-defined]
