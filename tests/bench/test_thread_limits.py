"""The benchmark suite runs every BLAS and OpenMP pool on one thread, lazily loaded ones too."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"

_PROBE = """
from threadpoolctl import threadpool_info


def test_pools_loaded_by_a_test_module_run_one_thread():
    import sklearn.linear_model  # noqa: F401 - loads scikit-learn's OpenMP and scipy's BLAS

    pools = threadpool_info()
    assert {p["user_api"] for p in pools} >= {"openmp", "blas"}
    assert [p["num_threads"] for p in pools] == [1] * len(pools), pools
"""


def test_lazily_loaded_pools_are_limited(tmp_path: Path) -> None:
    """bench/conftest.py limits pools a test module loads after collection started
    (scikit-learn's OpenMP ran two threads when only threadpoolctl limited them)."""
    for name in ("conftest.py", "benchutil.py"):
        shutil.copy(BENCH / name, tmp_path / name)
    (tmp_path / "test_probe.py").write_text(_PROBE)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_NUM_THREADS") and k != "VECLIB_MAXIMUM_THREADS"
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
