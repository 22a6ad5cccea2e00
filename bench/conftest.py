"""Shared settings of the pytest-benchmark suite.

Quick mode (``--quick`` or ``PERFCORE_BENCH_QUICK=1``) lowers the number of rounds,
never the size of a workload, so a quick run measures the same quantities as a
full run (with fewer samples, so wider intervals) and stays comparable with the
stored baselines.

Passes (``PERFCORE_BENCH_PASSES=N``, set by ``perfcore run``): the suite is one of N
runs in separate processes, and each benchmark times ``ceil(full rounds / N)``
rounds. On a shared machine a run's median moves between processes and minutes by
about four times its within-run error (speed of the host, memory layout), so the
same rounds spread over N passes give a run whose location varies about sqrt(N)
times less.

Each round starts from a collected heap (``gc.collect()`` in the setup), so a
collection triggered by garbage of an earlier round does not land in a later one;
the collector itself stays enabled, because the systems under test run with it.

BLAS and OpenMP pools are limited to one thread for the whole session. On a 2-core
shared machine a two-thread OpenBLAS spin-waits whenever the other core is busy,
which made training phases bimodal between runs (3 ms in one run, 135 ms in the
next); a single-threaded pool measures the code, not the scheduler. The limit is set
twice: in the environment (``OMP_NUM_THREADS`` and the BLAS variables, unless already
set) before this file imports anything, because each library reads it when it loads
and scikit-learn's OpenMP and scipy's OpenBLAS load only when a test module imports
them; and with threadpoolctl once collection has imported the test modules. Until
2026-12-02 only the second existed, and ran before collection, so it limited nothing
that loads later: scikit-learn's fits ran two OpenMP threads, and with the two gate
processes taking turns, one side's spinning threads took 60-170 ms spikes out of
the other's 3 ms fits (20-38% of their samples).
"""

from __future__ import annotations

import os

# Before anything below loads a BLAS or OpenMP library (see the module docstring).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
for _name in THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")

from typing import Any  # noqa: E402 - the thread limits above must come first

import pytest  # noqa: E402
from benchutil import Profile  # noqa: E402

# Set by perfcore's suite runner (perfcore.runner.suite, where the names are defined):
# the quick profile, and this process being one of N passes over the suite.
from perfcore.runner.suite import PASS_INDEX_ENV, PASSES_ENV, QUICK_ENV  # noqa: E402


def pytest_collection_finish(session: pytest.Session) -> None:
    """Pin BLAS/OpenMP pools to one thread, now that the test modules have loaded them."""
    from threadpoolctl import threadpool_limits

    session.config.stash[_LIMITS] = threadpool_limits(limits=1)


_LIMITS = pytest.StashKey[object]()
SCALE_ENV = "PERFCORE_BENCH_SCALE"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--quick`` and ``--scale``."""
    parser.addoption(
        "--quick",
        action="store_true",
        default=False,
        help="perfcore: fewer rounds per benchmark (same workloads)",
    )
    parser.addoption(
        "--scale",
        action="store_true",
        default=False,
        help="perfcore: also the benchmarks marked scale (100k and 1M-entry caches)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``scale`` benchmarks unless ``--scale`` (or ``PERFCORE_BENCH_SCALE=1``),
    and the ``once`` benchmarks in every pass but the first (``PERFCORE_BENCH_PASS``).

    A ``once`` benchmark yields one value per process (a capacity search, a peak, a
    speedup of two whole runs): spreading its rounds over passes adds no information,
    only minutes, so the first pass times all of them.

    Their stores take minutes to build on a fresh clone and a minute to load at 1M
    entries: the main job and gate rounds stay in minutes without them, and
    ``nox -s limits`` (or ``--bench-args=--scale`` for the gate) runs them.
    """
    scale = config.getoption("--scale") or os.environ.get(SCALE_ENV, "") in {"1", "true"}
    later_pass = os.environ.get(PASS_INDEX_ENV, "1").strip() not in ("", "1")
    kept = [
        item
        for item in items
        if (scale or item.get_closest_marker("scale") is None)
        and not (later_pass and item.get_closest_marker("once") is not None)
    ]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def _is_quick(config: pytest.Config) -> bool:
    env = os.environ.get(QUICK_ENV, "").strip().lower()
    return bool(config.getoption("--quick")) or env in {"1", "true", "yes"}


def _passes() -> int:
    from perfcore.config import positive_int

    try:
        return positive_int(os.environ.get(PASSES_ENV, "").strip() or "1")
    except ValueError as err:
        raise pytest.UsageError(f"{PASSES_ENV}: {err}") from None


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> Profile:
    """The measuring profile of this benchmark: a ``once`` benchmark times all its
    rounds in the one pass that runs it."""
    once = request.node.get_closest_marker("once") is not None
    return Profile(quick=_is_quick(request.config), passes=1 if once else _passes())


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list[Any], output_json: dict[str, Any]
) -> None:
    """Add perfcore's machine identity, commit and mode to the benchmark JSON."""
    from perfcore.results.environment import current_commit, current_machine

    machine_info = output_json.setdefault("machine_info", {})
    machine_info["perfcore_machine"] = current_machine().to_dict()
    machine_info["perfcore_quick"] = _is_quick(config)
    machine_info["perfcore_passes"] = _passes()
    output_json.setdefault("commit_info", {})["perfcore_commit"] = current_commit(
        config.rootpath
    ).to_dict()
