"""The corpus study's pairing and its anchors, on a pair built from our own fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studies.corpus import compare_anchors

FIXTURE = Path(__file__).parents[1] / "fixtures/pytest_benchmark/storage/Linux-CPython-3.11-64bit"


def _doubled(doc: dict[str, Any]) -> dict[str, Any]:
    for bench in doc["benchmarks"]:
        stats = bench["stats"]
        for key in ("min", "max", "mean", "median", "q1", "q3", "iqr", "stddev", "total"):
            if isinstance(stats.get(key), float):
                stats[key] *= 2
        if "data" in stats:
            stats["data"] = [2 * x for x in stats["data"]]
    return doc


def test_a_doubled_run_is_called_by_both_or_explained(tmp_path: Path) -> None:
    """Every benchmark doubled: what perfcore leaves undecided is explained as summary-only."""
    base = json.loads((FIXTURE / "0001_x1.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(base))
    (tmp_path / "b.json").write_text(json.dumps(_doubled(base)))
    entries = [
        {"project": "p", "tool": "pytest-benchmark", "series": "m", "order": i, "role": "run",
         "local": name, "path": name}
        for i, name in enumerate(("a.json", "b.json"))
    ]  # fmt: skip
    (pair,) = compare_anchors.judge_pairs(entries, tmp_path, last=8)
    ours = {k for k, v in pair.verdicts.items() if v == "regressed"}
    assert pair.exit_code == 1
    assert ours
    assert ours <= pair.anchor_regressed == set(pair.verdicts)
    _, disagreements = compare_anchors.pair_row(pair)
    assert len(disagreements) == len(pair.verdicts) - len(ours)
    assert all("summary-only files" in line for line in disagreements)
