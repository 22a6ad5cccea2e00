"""BatchFileProcessor and the naive loop: same results, errors collected, atomic outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from perfcore.components import BatchFileProcessor, process_naive
from perfcore.errors import ConfigError


def normalise_json(data: bytes) -> bytes:
    """The transform under test: parse JSON and write it back with sorted keys."""
    return json.dumps(json.loads(data), sort_keys=True).encode()


def _make_inputs(
    root: Path, count: int, bad_fraction: float, seed: int
) -> tuple[list[Path], set[str]]:
    """``count`` JSON files, ``bad_fraction`` of them unreadable or invalid."""
    rng = random.Random(seed)
    src = root / "in"
    src.mkdir()
    paths, bad = [], set()
    bad_indices = set(rng.sample(range(count), int(count * bad_fraction)))
    for i in range(count):
        path = src / f"f{i:05d}.json"
        if i in bad_indices:
            kind = i % 3
            if kind == 0:
                path.write_bytes(b"{not json")  # invalid: the transform raises
            elif kind == 1:
                path.mkdir()  # unreadable: a directory where a file should be
            # kind 2: missing file, unreadable too
            bad.add(str(path))
        else:
            path.write_text(json.dumps({"b": i, "a": [i] * 5}), encoding="utf-8")
        paths.append(path)
    return paths, bad


@pytest.mark.parametrize("runner", ["batch", "naive"])
def test_thousand_files_with_two_percent_bad(tmp_path: Path, runner: str) -> None:
    """1,000 files, 2% bad: processed + failed == 1,000 and no partial output appears."""
    paths, bad = _make_inputs(tmp_path, 1000, 0.02, seed=3)
    out = tmp_path / "out"
    if runner == "batch":
        summary = BatchFileProcessor(normalise_json, batch_size=64, workers=4).process(paths, out)
    else:
        summary = process_naive(paths, out, normalise_json)
    assert summary.processed + len(summary.failed) == 1000 == summary.total
    assert {e.path for e in summary.failed} == bad
    assert all(e.reason for e in summary.failed)
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(p.name for p in paths if str(p) not in bad)  # no temp files left
    for name in written[:50]:
        json.loads((out / name).read_bytes())  # every output is whole


def test_batch_and_naive_write_identical_outputs(tmp_path: Path) -> None:
    """Both paths produce the same bytes and the same byte counts."""
    paths, _ = _make_inputs(tmp_path, 50, 0.0, seed=1)
    processor = BatchFileProcessor(normalise_json, batch_size=7, workers=3)
    batch = processor.process(paths, tmp_path / "b")
    naive = process_naive(paths, tmp_path / "n", normalise_json, durable=False)
    assert (batch.bytes_read, batch.bytes_written) == (naive.bytes_read, naive.bytes_written)
    for path in paths:
        expected = (tmp_path / "n" / path.name).read_bytes()
        assert (tmp_path / "b" / path.name).read_bytes() == expected


def test_transform_error_leaves_previous_output_untouched(tmp_path: Path) -> None:
    """A failing transform never truncates an existing output file."""
    paths, _ = _make_inputs(tmp_path, 1, 0.0, seed=2)
    out = tmp_path / "out"
    out.mkdir()
    (out / paths[0].name).write_bytes(b"old")

    def explode(data: bytes) -> bytes:
        raise RuntimeError("transform failed")

    summary = BatchFileProcessor(explode).process(paths, out)
    assert summary.failed[0].reason == "RuntimeError: transform failed"
    assert (out / paths[0].name).read_bytes() == b"old"
    assert [p.name for p in out.iterdir()] == [paths[0].name]


def test_summary_uses_injected_clock(tmp_path: Path) -> None:
    """elapsed_s comes from the injected clock."""
    ticks = iter([10.0, 12.5])
    summary = BatchFileProcessor(normalise_json, clock=lambda: next(ticks)).process([], tmp_path)
    assert summary.elapsed_s == 2.5
    assert summary.total == 0


def test_bad_settings_are_config_errors() -> None:
    """Zero batch size or workers is rejected."""
    with pytest.raises(ConfigError):
        BatchFileProcessor(normalise_json, batch_size=0)
