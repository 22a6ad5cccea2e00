"""The gate study's runs: reading them, and drawing the no-change comparisons to judge.

Runs are perfcore or pytest-benchmark result files, folders kept by ``gate --against
--keep-rounds``, or synthetic runs; a comparison is a pair of sides (run indices), drawn
as every ordered pair, disjoint random draws, a calibrated baseline against one run, or
windows of interleaved rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfcore.results.model import Machine, Result, ResultSet, RunInfo
from perfcore.results.readers import merge_runs, read_any
from perfcore.runner.rounds import in_turns, kept_interleave
from studies.gate_rules import Sides


def read_run(path: Path) -> ResultSet:
    return read_any(path)


def common_benchmarks(runs: Sequence[ResultSet]) -> tuple[list[ResultSet], list[str]]:
    """Runs restricted to results every run has, with positive samples (log scale)."""
    ids = set.intersection(*(set(r.by_id()) for r in runs))
    ids = {i for i in ids if all(min(r.by_id()[i].samples, default=0) > 0 for r in runs)}
    order = sorted(ids)
    trimmed = [ResultSet(run=r.run, results=tuple(r.by_id()[i] for i in order)) for r in runs]
    return trimmed, order


def group_of(result: Result) -> str:
    group = str(result.extra.get("group") or "")
    if group:
        return group
    parts = result.id.replace("::", ".").split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


@dataclass(frozen=True)
class GateRuns:
    """Runs kept by ``gate --against --keep-rounds``, as :func:`read_gate_dirs` reads them."""

    runs: list[ResultSet]
    pairs: list[tuple[int, int]]
    blocks: tuple[Sides, ...]


def read_gate_dirs(dirs: Sequence[Path], *, plain_medians: bool = False) -> GateRuns:
    """Runs kept by ``gate --against --keep-rounds`` in time order, the (A, B) run
    indices of each round (ABBA: round i ran A then B when i is even, else B then A),
    and each folder's rounds as one block (one gate run). ``plain_medians``: judge
    rounds taken in turns by each side's median, not sample by sample."""
    runs: list[ResultSet] = []
    pairs: list[tuple[int, int]] = []
    blocks: list[Sides] = []
    for folder in dirs:
        first_pair = len(pairs)
        turns = kept_interleave(folder) == "rounds" and not plain_medians
        mark = in_turns if turns else (lambda r: r)
        i = 0
        while (folder / f"A-{i:02d}.json").is_file() and (folder / f"B-{i:02d}.json").is_file():
            first, second = ("A", "B") if i % 2 == 0 else ("B", "A")
            runs += [
                mark(read_run(folder / f"{first}-{i:02d}.json")),
                mark(read_run(folder / f"{second}-{i:02d}.json")),
            ]
            a, b = (
                (len(runs) - 2, len(runs) - 1) if first == "A" else (len(runs) - 1, len(runs) - 2)
            )
            pairs.append((a, b))
            i += 1
        mine = pairs[first_pair:]
        if len(mine) > 1:
            blocks.append((tuple(x for x, _ in mine), tuple(y for _, y in mine)))
    return GateRuns(runs, pairs, tuple(blocks))


def interleaved_windows(pairs: Sequence[tuple[int, int]], rounds: int, stride: int) -> list[Sides]:
    """Windows of ``rounds`` consecutive rounds, every ``stride`` rounds: each is one A/A
    gate (A: the runs at REF's position, B: the working tree's)."""
    return [
        (tuple(a for a, _ in pairs[s : s + rounds]), tuple(b for _, b in pairs[s : s + rounds]))
        for s in range(0, len(pairs) - rounds + 1, stride)
    ]


def baseline_draws(
    k: int, base_runs: int, draws: int, rng: np.random.Generator, confirm: bool = False
) -> list[Sides]:
    """The production layout: a baseline of ``base_runs`` runs against one other run
    (and, with ``confirm``, a third run that re-measures what the second flagged)."""
    extra = 2 if confirm else 1
    if base_runs + extra > k:
        raise SystemExit(f"a baseline of {base_runs} runs needs at least {base_runs + extra} runs")
    out = []
    for n in range(draws):
        current = n % k
        others = [i for i in range(k) if i != current]
        again = tuple(int(x) for x in rng.choice(others, 1)) if confirm else ()
        rest = np.array([i for i in others if i not in again])
        picked = tuple(sorted(rng.choice(rest, base_runs, replace=False).tolist()))
        out.append((picked, (current, *again)))
    return out


def side_pairs(k: int, per_side: int, draws: int, rng: np.random.Generator) -> list[Sides]:
    """Baseline/current run indices: every ordered pair for one run a side, else random
    disjoint draws of ``per_side`` runs a side."""
    if per_side == 1:
        return [((i,), (j,)) for i in range(k) for j in range(k) if i != j]
    if 2 * per_side > k:
        raise SystemExit(f"{per_side} runs per side need at least {2 * per_side} runs")
    out = []
    for _ in range(draws):
        picked = rng.permutation(k)[: 2 * per_side]
        out.append((tuple(sorted(picked[:per_side])), tuple(sorted(picked[per_side:]))))
    return out


def group_passes(
    runs: Sequence[ResultSet], passes: int
) -> tuple[list[ResultSet], list[tuple[int, ...]]]:
    """Consecutive runs, ``passes`` at a time, merged into runs of that many passes
    (what ``perfcore run --passes`` records), and the single runs each is made of."""
    members = [tuple(range(i, i + passes)) for i in range(0, len(runs) - passes + 1, passes)]
    return [merge_runs([runs[i] for i in m]) for m in members], members


def fresh_pairs(blocks: Sequence[Sides], fresh: int) -> list[tuple[Sides, Sides]]:
    """(first rounds, fresh rounds) for ``gate --against --confirm-rounds``'s second
    stage: every gate run's rounds as the first stage, and the first ``fresh`` rounds
    of every other gate run as its fresh rounds (full-suite rounds: any benchmark the
    screen picks, an injected one included, has them)."""
    out = []
    for first in blocks:
        for other in blocks:
            if other is first or len(other[0]) < fresh:
                continue
            out.append((first, (other[0][:fresh], other[1][:fresh])))
    return out


def synthetic_runs(k: int, seed: int, n_bench: int = 8, n_samples: int = 30) -> list[ResultSet]:
    """Runs with 5-17% within-run CV and 1-4% drift between runs, like DESIGN.md's machine."""
    rng = np.random.default_rng(seed)
    cvs = rng.uniform(0.05, 0.17, n_bench)
    drift = rng.uniform(0.01, 0.04, n_bench)
    machine = Machine(id="synthetic", cpu="", cores=0, ram_bytes=0, os="", python="")
    runs = []
    for run in range(k):
        level = np.exp(rng.normal(0, drift))
        results = tuple(
            Result(
                id=f"synthetic.g{b % 3}.b{b}",
                unit="s",
                better="lower",
                samples=tuple(level[b] * 1e-3 * np.exp(rng.normal(0, cvs[b], n_samples))),
            )
            for b in range(n_bench)
        )
        runs.append(ResultSet(run=RunInfo(created=f"run-{run}", machine=machine), results=results))
    return runs
