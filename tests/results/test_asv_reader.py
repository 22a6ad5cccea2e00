"""asv result files read as asv means them: formats 1 and 2, environments, versions, kinds."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from perfcore.errors import InputWarning, SchemaError
from perfcore.results._asv_format1 import upgrade_asv
from perfcore.results.asv_reader import read_asv_runs
from perfcore.results.comparability import basis, is_deterministic, version_changed
from perfcore.results.readers import read_any

ASV = Path(__file__).parent.parent / "fixtures" / "asv"
C1_SAMPLES = "fddb0e26-existing-py_work_wt_toolfiles_.venv_bin_python3.json"
C1_OTHER_ENV = "fddb0e26-existing-py_tmp_toolfiles_envb_bin_python.json"
C2 = "05fbd402-existing-py_work_wt_toolfiles_.venv_bin_python3.json"
ENV_A = "existing-py_work_wt_toolfiles_.venv_bin_python3"
ENV_B = "existing-py_tmp_toolfiles_envb_bin_python"

pytestmark = pytest.mark.filterwarnings("ignore::perfcore.errors.InputWarning")


def _read(*parts: str) -> dict[str, Any]:
    return {r.id: r for r in read_any(ASV.joinpath(*parts)).results}


@pytest.mark.parametrize("name", [C1_SAMPLES, C1_OTHER_ENV, C2])
def test_format1_reads_as_its_format2_original(name: str) -> None:
    """An asv format-1 file gives the same results as the format-2 file asv wrote."""
    old = _read("format1", "tinybox", name)
    new = _read("results", "tinybox", name)
    assert old == new


@pytest.mark.parametrize("name", [C1_SAMPLES, C1_OTHER_ENV, C2])
def test_format1_conversion_equals_asv_update(name: str) -> None:
    """The format-1 conversion gives what asv's own update_to_2 (``asv update``) gives."""
    from asv.results import Results

    data = json.loads((ASV / "format1" / "tinybox" / name).read_text())
    ours = upgrade_asv(json.loads(json.dumps(data)), Path(name))
    theirs = Results.update_to_2(json.loads(json.dumps(data)))
    assert {k: v for k, v in ours.items() if k != "version"} == theirs


def test_oldest_format1_bare_values_equal_asv_update() -> None:
    """asv's oldest layout (a bare number per benchmark, no env_name) converts as asv does."""
    from asv.results import Results

    data = {
        "commit_hash": "abc",
        "date": 1,
        "params": {"machine": "m"},
        "python": "2.7",
        "requirements": {"numpy": "1.9", "six": ""},
        "version": 1,
        "results": {"b.time_x": 1.5e-6, "b.mem_y": 4096, "b.time_failed": None},
        "benchmark_version": {"b.time_x": "v1"},
    }
    ours = upgrade_asv(json.loads(json.dumps(data)), Path("old.json"))
    assert {k: v for k, v in ours.items() if k != "version"} == Results.update_to_2(
        json.loads(json.dumps(data))
    )
    assert ours["env_name"] == "py2.7-numpy1.9-six"


def test_format1_file_reads_through_read_any(tmp_path: Path) -> None:
    """A lone format-1 file is recognised (it was 'unknown format' before)."""
    lone = tmp_path / "result.json"
    shutil.copy(ASV / "format1" / "tinybox" / C2, lone)
    results = {r.id for r in read_any(lone).results}
    assert "bench_tiny.Timing.time_sum" in results


def test_newer_asv_format_is_refused(tmp_path: Path) -> None:
    """A results format newer than asv 0.6's is a one-line SchemaError, not a guess."""
    data = json.loads((ASV / "results" / "tinybox" / C2).read_text())
    data["version"] = 3
    path = tmp_path / "new.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError, match="newer"):
        read_any(path)


def _one_commit_dir(tmp_path: Path) -> Path:
    machine = tmp_path / "results" / "tinybox"
    machine.mkdir(parents=True)
    shutil.copy(ASV / "results" / "benchmarks.json", tmp_path / "results")
    for name in ("machine.json", C1_SAMPLES, C1_OTHER_ENV):
        shutil.copy(ASV / "results" / "tinybox" / name, machine)
    return machine


def test_two_environments_of_one_commit_stay_apart(tmp_path: Path) -> None:
    """Two environments of one commit are two runs: ids carry @env, nothing is merged."""
    results = {r.id: r for r in read_any(_one_commit_dir(tmp_path)).results}
    with_samples = results[f"bench_tiny.Timing.time_sum@{ENV_A}"]
    summary_only = results[f"bench_tiny.Timing.time_sum@{ENV_B}"]
    assert len(with_samples.samples) == 5
    assert "rounds" not in with_samples.extra
    assert summary_only.extra["samples_from"] == "summary"
    assert "bench_tiny.Timing.time_sum" not in results


def test_read_asv_runs_gives_one_run_per_environment(tmp_path: Path) -> None:
    """read_asv_runs returns each (commit, environment) file as its own result set."""
    runs = read_asv_runs(_one_commit_dir(tmp_path))
    assert sorted(r.results[0].extra["env"] for r in runs) == sorted([ENV_A, ENV_B])


def test_version_change_is_detected() -> None:
    """A benchmark whose code changed between commits carries a different version."""
    before = _read("results", "tinybox", C1_SAMPLES)
    after = _read("results", "tinybox", C2)
    changed = {rid for rid in before if rid in after and version_changed(before[rid], after[rid])}
    assert changed == {"bench_tiny.Timing.time_sum"}


def test_version_unknown_is_not_a_change() -> None:
    """Results without a version (other tools) are never reported as a version change."""
    from perfcore.results.model import Result

    plain = Result(id="a", unit="s", better="lower", samples=(1.0,))
    versioned = Result(id="a", unit="s", better="lower", samples=(1.0,), extra={"version": "1"})
    assert not version_changed(plain, versioned)
    assert not version_changed(versioned, versioned)


def test_kinds_say_how_to_judge_them() -> None:
    """time: samples or summary; memory and integer track: deterministic; peakmemory: single."""
    recorded = _read("results", "tinybox", C1_SAMPLES)
    summary = _read("results", "tinybox", C2)
    assert basis(recorded["bench_tiny.Timing.time_sorted(100)"]) == "samples"
    assert basis(summary["bench_tiny.Timing.time_sorted(100)"]) == "summary"
    assert summary["bench_tiny.Timing.time_sorted(100)"].extra["summary"]["n"] == 5
    assert basis(recorded["bench_tiny.mem_list"]) == "deterministic"
    assert recorded["bench_tiny.mem_list"].samples == (8056.0,)
    assert basis(recorded["bench_tiny.peakmem_list"]) == "single"
    assert is_deterministic(recorded["bench_tiny.track_count"])
    assert recorded["bench_tiny.track_count"].unit == "items"


def test_fractional_track_is_single_not_deterministic(tmp_path: Path) -> None:
    """A float track value is one value of unknown spread, not an exact one."""
    data = json.loads((ASV / "results" / "tinybox" / C2).read_text())
    data["results"]["bench_tiny.track_count"][0] = [41.5]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    track = {r.id: r for r in read_any(path).results}["bench_tiny.track_count"]
    assert basis(track) == "single"


def test_dict_and_bool_track_values_are_skipped_with_a_warning() -> None:
    """asv 0.6.6 stores a dict or a bool track value: skipped with a warning, no crash."""
    with pytest.warns(InputWarning) as caught:
        results = _read("results", "tinybox", C2)
    messages = " ".join(str(w.message) for w in caught)
    assert "track_flag" in messages
    assert "track_info" in messages
    assert "bench_tiny.track_flag" not in results
    assert "bench_tiny.track_info" not in results
    assert "bench_tiny.Timing.time_fails" not in results  # asv's null: a failed benchmark


def test_asv_quick_run_without_stats_is_single(tmp_path: Path) -> None:
    """A time result without stats (``asv run --quick``) is one value, not a summary."""
    data = json.loads((ASV / "results" / "tinybox" / C2).read_text())
    row = data["results"]["bench_tiny.Timing.time_sum"]
    data["results"]["bench_tiny.Timing.time_sum"] = row[:5]  # result..duration, no stats
    path = tmp_path / "quick.json"
    path.write_text(json.dumps(data))
    quick = {r.id: r for r in read_any(path).results}["bench_tiny.Timing.time_sum"]
    assert basis(quick) == "single"


def test_one_repeat_is_single_not_a_summary(tmp_path: Path) -> None:
    """One timing (``stats_repeat`` 1, asv's interval +-inf, no samples) is one value."""
    data = json.loads((ASV / "results" / "tinybox" / C2).read_text())
    cols = data["result_columns"]
    row = data["results"]["bench_tiny.Timing.time_sum"]
    row += [None] * (len(cols) - len(row))
    stats = {"stats_repeat": 1, "stats_ci_99_a": -math.inf, "stats_ci_99_b": math.inf}
    for name, value in stats.items():
        if name in cols:
            row[cols.index(name)] = [value]
    for name in ("stats_q_25", "stats_q_75"):
        row[cols.index(name)] = [row[0][0]]
    if "samples" in cols:
        row[cols.index("samples")] = None
    path = tmp_path / "once.json"
    path.write_text(json.dumps(data))
    once = {r.id: r for r in read_any(path).results}["bench_tiny.Timing.time_sum"]
    assert basis(once) == "single"


def test_huge_parameter_product_is_not_expanded(tmp_path: Path) -> None:
    """A broken params column (a vast product) is never expanded: that benchmark is skipped."""
    data = json.loads((ASV / "results" / "tinybox" / C2).read_text())
    data["results"]["bench_tiny.Timing.time_sorted"][1] = [list(range(100))] * 12
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.warns(InputWarning, match="parameter combination"):
        ids = {r.id for r in read_any(path).results}
    assert not any(i.startswith("bench_tiny.Timing.time_sorted") for i in ids)
    assert "bench_tiny.Timing.time_sum" in ids
