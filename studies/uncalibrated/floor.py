"""The largest no-change slowdown a one-run-against-one-run rule would have to ignore.

For every pair ``i < j`` of the saved no-change runs in ``AA_DIR`` and every benchmark, the
smaller of the two ratios ``median_j / median_i`` and ``min_j / min_i`` (a rule that needs
both the median and the fast end slower alarms only beyond it). The largest of them per
benchmark is the floor below which such a rule cannot stay silent on these runs.

usage: python studies/uncalibrated/floor.py AA_DIR
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import numpy as np


def floors(folder: Path) -> dict[str, float]:
    """Per benchmark, the largest both-slower ratio over the no-change pairs of ``folder``."""
    runs = []
    for path in sorted(folder.rglob("[0-9][0-9][0-9][0-9]_*.json")):
        doc = json.loads(path.read_text())
        runs.append(
            {
                b["name"]: (float(np.median(b["stats"]["data"])), min(b["stats"]["data"]))
                for b in doc["benchmarks"]
            }
        )
    worst: dict[str, float] = {}
    for a, b in itertools.combinations(runs, 2):
        for name in a.keys() & b.keys():
            ratio = min(b[name][0] / a[name][0], b[name][1] / a[name][1])
            worst[name] = max(worst.get(name, 0.0), ratio)
    return worst


if __name__ == "__main__":
    for name, ratio in sorted(floors(Path(sys.argv[1])).items()):
        print(f"{name:40s} {ratio:.3f}x")
