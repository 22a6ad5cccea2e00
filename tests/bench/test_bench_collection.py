"""The benchmark suites are collectable: pytest lists every benchmark, ASV finds its suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _collect(*extra: str, env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench/",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_pytest_collects_every_suite() -> None:
    """`pytest bench/ --collect-only` lists benchmarks of every area, each phase x model type."""
    ids = _collect()
    files = {line.split("::")[0] for line in ids}
    assert files >= {
        "bench/test_training.py",
        "bench/test_cache.py",
        "bench/test_validator.py",
        "bench/test_batch.py",
        "bench/test_instrument.py",
        "bench/test_ratios.py",
    }
    phases = [line for line in ids if "test_training.py::test_phase[" in line]
    assert len(phases) == 20  # 5 model types x 4 phases


def test_quick_mode_collects_the_same_benchmarks() -> None:
    """`--quick` lowers rounds only: the same benchmarks are collected."""
    assert _collect("--quick") == _collect()


def test_asv_config_points_at_the_suite() -> None:
    """asv.conf.json runs on the current interpreter and points into bench/asv_suite."""
    config = json.loads((ROOT / "asv.conf.json").read_text())
    assert config["environment_type"] == "existing"
    assert config["benchmark_dir"] == "bench/asv_suite"
    assert (ROOT / config["benchmark_dir"] / "__init__.py").is_file()
    assert config["results_dir"] == ".asv/results"
    assert config["html_dir"] == ".asv/html"


def test_no_folder_of_bench_shadows_the_asv_package() -> None:
    """With bench/ first on sys.path (as pytest puts it), ``import asv`` is the installed tool."""
    done = subprocess.run(
        [sys.executable, "-c", "import asv; print(asv.__file__)"],
        cwd=ROOT / "bench",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(done.stdout.strip()).parent.name == "asv"
    assert ROOT / "bench" not in Path(done.stdout.strip()).parents


def test_asv_discovers_every_module_of_the_suite(tmp_path: Path) -> None:
    """asv's own discovery, run as ``asv check`` runs it, finds benchmarks in each module."""
    import asv

    config = json.loads((ROOT / "asv.conf.json").read_text())
    out = tmp_path / "discovered.json"
    script = Path(asv.__file__).parent / "benchmark.py"
    subprocess.run(
        [sys.executable, str(script), "discover", str(ROOT / config["benchmark_dir"]), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    text = out.read_text()
    rows = (
        json.loads(text)
        if text.lstrip().startswith("[")
        else [json.loads(line) for line in text.splitlines() if line.strip()]
    )
    modules = {row["name"].split(".")[0] for row in rows}
    assert modules == {"components", "precision", "ratios", "retraining", "training"}


def test_scale_benchmarks_run_only_when_asked() -> None:
    """The 100k/1M-entry stores are left out of the suite unless --scale asks for them."""
    assert not any("test_semantic_scale.py" in i for i in _collect())
    assert any("test_semantic_scale.py" in i for i in _collect("--scale"))


def test_once_benchmarks_run_in_the_first_pass_only() -> None:
    """A capacity search or a whole-run speedup is collected in pass 1 and left out after."""
    once = "test_serving_capacity_at_slo"
    assert any(once in i for i in _collect(env={"PERFCORE_BENCH_PASS": "1"}))
    later = _collect(env={"PERFCORE_BENCH_PASS": "2"})
    assert later
    assert not any(once in i for i in later)
