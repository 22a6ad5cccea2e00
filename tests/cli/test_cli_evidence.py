"""perfcore calibrate, history, claims and slo: outputs, files written, exit codes."""

import json
from pathlib import Path

import numpy as np
import pytest
from builders import machine

from perfcore.cli import main
from perfcore.results.model import Commit, Result, ResultSet, RunInfo
from perfcore.results.noise_store import load_noise

MACHINE = machine("m1")


def _write(path: Path, created: str, commit: str, results: list[Result]) -> Path:
    info = RunInfo(created=created, machine=MACHINE, commit=Commit(id=commit))
    ResultSet(run=info, results=tuple(results)).save(path)
    return path


def _timing(rid: str, level: float, seed: int, n: int = 20) -> Result:
    rng = np.random.default_rng(seed)
    samples = tuple(float(x) for x in level * np.exp(rng.normal(0, 0.02, n)))
    return Result(id=rid, unit="s", better="lower", samples=samples)


def test_calibrate_from_files_writes_noise_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """calibrate --from prints a table and writes <baselines>/<machine>/noise.json."""
    files = [
        _write(
            tmp_path / f"r{i}.json",
            f"2026-01-0{i + 1}T00:00:00+00:00",
            "c",
            [_timing("bench.a", 1.0 + 0.01 * i, i)],
        )
        for i in range(4)
    ]
    code = main(["calibrate", "--from", *map(str, files), "--baselines-dir", str(tmp_path / "b")])
    assert code == 0
    assert "bench.a" in capsys.readouterr().out
    model = load_noise(tmp_path / "b" / "m1" / "noise.json")
    assert model.benchmarks["bench.a"].runs == 4
    assert model.benchmarks["bench.a"].sd_between_log > 0


def test_calibrate_counts_each_pass_of_a_run_as_a_unit(tmp_path: Path) -> None:
    """Two runs of three passes (perfcore run --passes 3) teach the noise of one pass,
    from six units."""

    def passes(rid: str, seed: int) -> Result:
        parts = [_timing(rid, 1.0 + 0.02 * k, seed * 10 + k) for k in range(3)]
        return Result(
            id=rid,
            unit="s",
            better="lower",
            samples=tuple(x for p in parts for x in p.samples),
            extra={"rounds": [k for k, p in enumerate(parts) for _ in p.samples]},
        )

    files = [
        _write(
            tmp_path / f"r{i}.json", f"2026-01-0{i + 1}T00:00:00+00:00", "c", [passes("bench.a", i)]
        )
        for i in range(2)
    ]
    code = main(["calibrate", "--from", *map(str, files), "--baselines-dir", str(tmp_path / "b")])
    assert code == 0
    model = load_noise(tmp_path / "b" / "m1" / "noise.json")
    assert model.benchmarks["bench.a"].runs == 6
    assert 0.01 < model.benchmarks["bench.a"].sd_between_log < 0.04


def test_calibrate_save_baseline_stores_runs_as_rounds(tmp_path: Path) -> None:
    """calibrate --save-baseline stores the runs merged, one round label per run."""
    from perfcore.results.baselines import BaselineStore

    files = [
        _write(
            tmp_path / f"r{i}.json",
            f"2026-01-0{i + 1}T00:00:00+00:00",
            "c",
            [_timing("bench.a", 1.0 + 0.01 * i, i)],
        )
        for i in range(3)
    ]
    code = main(
        [
            "calibrate",
            "--from",
            *map(str, files),
            "--baselines-dir",
            str(tmp_path / "b"),
            "--save-baseline",
        ]
    )
    assert code == 0
    (stored,) = BaselineStore(tmp_path / "b").load("m1").results
    assert sorted(set(stored.extra["rounds"])) == [0, 1, 2]
    assert len(stored.samples) == 3 * len(_timing("bench.a", 1.0, 0).samples)


def test_calibrate_paired_from_kept_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """calibrate --paired-from learns each interleave mode's file from kept gate rounds."""
    from perfcore.results.noise_store import load_paired_noise

    folders = []
    for g in range(2):
        folder = tmp_path / f"gate-{g}"
        for i in range(4):
            for side, shift in (("A", 0.0), ("B", 0.01)):
                _write(
                    folder / f"{side}-{i:02d}.json",
                    "2026-01-01T00:00:00+00:00",
                    "c",
                    [_timing("bench.a", 1.0 + shift, 10 * g + 2 * i + (side == "B"))],
                )
        (folder / "interleave").write_text("rounds\n")
        folders.append(folder)
    code = main(
        ["calibrate", "--paired-from", *map(str, folders), "--baselines-dir", str(tmp_path / "b")]
    )
    assert code == 0
    assert "bench.a" in capsys.readouterr().out
    var, df = load_paired_noise(tmp_path / "b" / "m1" / "paired-noise.json", "m1").benchmarks[
        "bench.a"
    ]
    assert df == 6.0
    assert 0 < var < 0.01**2  # medians of 20 samples at 2% spread
    assert not (tmp_path / "b" / "m1" / "paired-noise-runs.json").exists()
    (folders[1] / "interleave").unlink()  # kept before the marker: alternating whole runs
    assert main(["calibrate", "--paired-from", *map(str, folders), "--no-write"]) == 2
    assert (
        main(
            ["calibrate", "--paired-from", str(folders[1]), "--baselines-dir", str(tmp_path / "b")]
        )
        == 0
    )
    assert (tmp_path / "b" / "m1" / "paired-noise-runs.json").is_file()
    incomplete = tmp_path / "half"
    _write(incomplete / "A-00.json", "2026-01-01T00:00:00+00:00", "c", [_timing("x", 1, 0)])
    assert main(["calibrate", "--paired-from", str(incomplete), "--no-write"]) == 2


def test_calibrate_needs_two_runs(tmp_path: Path) -> None:
    """One file cannot measure noise between runs: exit 2, nothing written."""
    one = _write(tmp_path / "r.json", "2026-01-01T00:00:00+00:00", "c", [_timing("a", 1, 0)])
    assert main(["calibrate", "--from", str(one), "--baselines-dir", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "b").exists()


def test_history_add_show_and_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Twelve runs with a 20% step at commit c06: changes names that commit."""
    hist = tmp_path / "hist"
    for i in range(12):
        level = 1.0 if i < 6 else 1.2
        path = _write(
            tmp_path / f"r{i}.json",
            f"2026-01-{i + 1:02d}T00:00:00+00:00",
            f"c{i:02d}",
            [_timing("bench.a", level * (1 + 0.005 * (i % 3)), i)],
        )
        assert main(["history", "add", str(path), "--history-dir", str(hist)]) == 0
    assert len(list((hist / "m1").glob("*.json"))) == 12
    capsys.readouterr()
    assert (
        main(
            [
                "history",
                "show",
                "--history-dir",
                str(hist),
                "--machine",
                "m1",
                "--result",
                "bench.a",
            ]
        )
        == 0
    )
    assert len(capsys.readouterr().out.splitlines()) == 12
    assert main(["history", "changes", "--history-dir", str(hist), "--machine", "m1"]) == 0
    out = capsys.readouterr().out
    assert "bench.a: +" in out
    assert "at c06" in out


def test_history_add_corrupt_file_is_exit_2(tmp_path: Path) -> None:
    """A corrupt file is refused with exit 2 and leaves no history behind."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["history", "add", str(bad), "--history-dir", str(tmp_path / "h")]) == 2
    assert not (tmp_path / "h").exists()


def test_claims_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """claims prints every claim's status with its number and exits 0 even when refuted."""
    claims = tmp_path / "claims.toml"
    claims.write_text(
        '[[claim]]\nname="fast"\ndescription="d"\nresult="bench.a"\nunit="ms"\nmax=500\n'
        '[[claim]]\nname="big"\ndescription="d"\nresult="bench.a"\nunit="ms"\nmin=5000\n'
        '[[claim]]\nname="absent"\ndescription="d"\nresult="nope"\nunit="s"\nmin=1\n',
        encoding="utf-8",
    )
    results = _write(
        tmp_path / "r.json", "2026-01-01T00:00:00+00:00", "c", [_timing("bench.a", 0.25, 1)]
    )
    assert main(["claims", "--claims-file", str(claims), "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "1 confirmed, 1 refuted, 1 not measured" in out
    assert "250" in out


def test_claims_bad_file_is_exit_2(tmp_path: Path) -> None:
    """A claims file with an unknown key is a usage error."""
    claims = tmp_path / "claims.toml"
    claims.write_text(
        '[[claim]]\nname="x"\ndescription="d"\nresult="r"\nunit="s"\nmaxx=1\n', encoding="utf-8"
    )
    assert main(["claims", "--claims-file", str(claims)]) == 2


def _load_file(tmp_path: Path, p99: float) -> Path:
    def one(metric: str, unit: str, better: str, value: float) -> Result:
        return Result(
            id=f"load.local.{metric}",
            unit=unit,
            better=better,  # type: ignore[arg-type]
            samples=(value,),
            extra={"value": value, "valid": True},
        )

    return _write(
        tmp_path / "load.json",
        "2026-01-01T00:00:00+00:00",
        "c",
        [
            one("p99", "s", "lower", p99),
            one("p50", "s", "lower", 0.002),
            one("throughput", "req/s", "higher", 6000.0),
            one("error_rate", "ratio", "lower", 0.0),
        ],
    )


def test_slo_pass_miss_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """slo exits 0 when all hold, 1 on a miss or an unmeasured metric, 2 on bad text."""
    good = _load_file(tmp_path, 0.015)
    slos = ["--slo", "p99<20ms", "--slo", "throughput>5000/s", "--slo", "error_rate<1%"]
    assert main(["slo", str(good), *slos]) == 0
    assert main(["slo", str(good), "--slo", "p99.9<100ms"]) == 1
    assert "not measured" in capsys.readouterr().out
    assert main(["slo", str(_load_file(tmp_path, 0.030)), *slos]) == 1
    assert main(["slo", str(good), "--slo", "p99<<20ms"]) == 2
    assert main(["slo", str(good), "--slo", "p99<20ms", "--target", "mars"]) == 2


def test_slo_without_load_results_is_exit_2(tmp_path: Path) -> None:
    """A results file with no load.* ids cannot be judged: exit 2."""
    path = _write(tmp_path / "r.json", "2026-01-01T00:00:00+00:00", "c", [_timing("a", 1, 0)])
    assert main(["slo", str(path), "--slo", "p99<20ms"]) == 2


def test_noise_file_rejects_unknown_keys(tmp_path: Path) -> None:
    """A noise file with an extra key per benchmark is a schema error."""
    from perfcore.errors import SchemaError

    path = tmp_path / "noise.json"
    path.write_text(
        json.dumps(
            {
                "schema": "perfcore.noise/1",
                "machine": "m",
                "created": "t",
                "benchmarks": {
                    "a": {"cv_within": 0.1, "sd_between_log": 0.1, "runs": 3, "extra": 1}
                },
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SchemaError):
        load_noise(path)


def test_calibrate_runs_the_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """calibrate --runs 2 runs pytest-benchmark twice and calibrates from its JSON."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_tiny.py").write_text(
        "def test_tiny(benchmark):\n"
        "    benchmark.pedantic(sum, args=(range(1000),), rounds=5, iterations=10)\n",
        encoding="utf-8",
    )
    code = main(["calibrate", "--runs", "2", "--bench-dir", str(suite), "--no-write"])
    assert code == 0
    assert "tiny" in capsys.readouterr().out


def test_calibrate_failing_suite_is_an_error(tmp_path: Path) -> None:
    """A benchmark run that fails stops calibration with a non-zero exit, nothing written."""
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_bad.py").write_text(
        "def test_bad(benchmark):\n    assert False\n", encoding="utf-8"
    )
    code = main(
        [
            "calibrate",
            "--runs",
            "2",
            "--bench-dir",
            str(suite),
            "--baselines-dir",
            str(tmp_path / "b"),
        ]
    )
    assert code == 2
    assert not (tmp_path / "b").exists()
