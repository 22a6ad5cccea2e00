"""Interleaved A/B rounds for ``perfcore gate --against REF``.

The benchmark suite runs in a temporary git worktree of REF (A) and in the working
tree (B), alternating on this machine in ABBA order (A B, B A, A B, ...) so that a
slow drift of the machine weighs on both sides alike. Each pytest-benchmark run is
one round; a side's rounds are merged, so the round is the unit of replication.
``keep`` names a directory that receives every round's pytest-benchmark JSON
(``A-00.json``, ``B-00.json``, ...; A is REF), for later study or re-judging.

``interleave="rounds"`` (the default) runs round ``i`` of both sides as two processes
at once that take turns benchmark round by benchmark round (``runner.turns``): the pair's
two measurements of a benchmark are then seconds apart instead of a whole suite run
(minutes) apart. ``interleave="runs"`` alternates whole suite runs, one process at a
time, as before. In ``rounds`` mode both processes of a round share one
``PYTHONHASHSEED`` (``hash_seed + i``), so string hashing lays out dicts and sets alike
on both sides while the seed still varies from round to round; a seed set in the
environment wins.

``screen`` (``gate --against``'s second stage): after the rounds, while REF's worktree
still exists, it names the results to re-measure; those run again, alone, for
``confirm_rounds`` fresh rounds in the same way (``A-c00.json``, ``B-c00.json``, ... in
``keep``), each side selecting its own pytest node ids.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfcore.errors import InputError
from perfcore.results.model import ResultSet
from perfcore.results.noise_store import INTERLEAVE_MODES
from perfcore.results.readers import merge_runs, read_any
from perfcore.runner.suite import SuiteCommand, SuiteProfile, suite_command
from perfcore.runner.turns import PLUGIN_MODULE, install_plugin, run_in_turns
from perfcore.runner.worktree import Runner, ref_worktree

__all__ = [
    "ABRounds",
    "ABRun",
    "in_turns",
    "kept_interleave",
    "one_round",
    "read_kept_confirm",
    "read_kept_rounds",
    "run_ab_rounds",
]

# ``quick`` rounds (``SuiteProfile(quick=True)``): measured on the 2-core machine, a quick
# round's median moves 3-25% from round to round (against 0.2-3% for most benchmarks in
# a full round): three samples do not make a robust median, so full rounds are the
# default and buy more power per minute.

# Written into a --keep-rounds folder: the rounds' interleave mode (their noise differs).
INTERLEAVE_FILE = "interleave"
# File names of the second stage's rounds: A-c00.json, B-c00.json, ...
CONFIRM_TAG = "c"

# Given (REF side, working side) of the rounds, the result ids to re-measure.
Screen = Callable[[ResultSet, ResultSet], Sequence[str]]
# Sequential rounds (sequential_rounds.stage): both sides, the fresh screen, a note.
FirstStage = Callable[..., tuple[ResultSet, ResultSet, "Screen | None", str]]


@dataclass(frozen=True)
class ABRounds:
    """What to run: the reference, rounds per side, the suite and extra pytest options."""

    ref: str
    rounds: int = 5
    bench_dir: str = "bench"
    bench_args: tuple[str, ...] = ()
    keep: Path | None = None
    quick: bool = False
    interleave: str = "rounds"
    hash_seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    confirm_rounds: int = 0
    # Per side ("A", "B"): pytest node ids to run instead of bench_dir (the second stage).
    select: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    tag: str = ""
    # Sequential rounds (perfcore.runner.sequential_rounds): looks after rounds
    # min_rounds..max_rounds; 0: the fixed ``rounds``.
    max_rounds: int = 0
    min_rounds: int = 2
    passes: int = 1  # --bench-passes: a gate round times 1/passes of each benchmark's rounds


@dataclass(frozen=True)
class ABRun:
    """Both sides' rounds, and the second stage's fresh rounds when any ran."""

    reference: ResultSet
    working: ResultSet
    again: tuple[ResultSet, ResultSet] | None = None
    note: str = ""  # sequential rounds: the rounds the results needed


def _bench_command(
    tree: Path, out: Path, plan: ABRounds, plugin_dir: Path | None = None, side: str = ""
) -> SuiteCommand:
    return suite_command(
        tree,
        plan.select.get(side) or (plan.bench_dir,),
        out,
        SuiteProfile(quick=plan.quick, passes=plan.passes),
        extra=plan.bench_args,
        plugin=(plugin_dir, PLUGIN_MODULE) if plugin_dir is not None else None,
    )


def _checked(tree: Path, out: Path, status: int, tail: str) -> ResultSet:
    if status != 0 or not out.is_file():
        raise InputError(f"benchmark run in {tree} failed (exit {status}): {tail or 'no output'}")
    return read_any(out)


def _bench_once(tree: Path, out: Path, plan: ABRounds, runner: Runner, side: str = "") -> ResultSet:
    command = _bench_command(tree, out, plan, side=side)
    done = runner(
        list(command.argv),
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env=dict(command.env),
        timeout=3600,
    )
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:]
    return _checked(tree, out, done.returncode, tail[0] if tail else "")


def _bench_pair(
    trees: dict[str, Path], scratch: Path, i: int, plan: ABRounds
) -> dict[str, ResultSet]:
    """Round ``i`` of both sides as two processes taking turns round by round."""
    plugin_dir = install_plugin(scratch)
    specs = {}
    for side, tree in trees.items():
        name = _round_name(plan, side, i)
        command = _bench_command(tree, scratch / f"{name}.json", plan, plugin_dir, side)
        env = dict(command.env)
        # One string-hash seed for both sides of a round, another for the next round:
        # dict and set layouts then match inside the pair, and vary across rounds.
        env.setdefault("PYTHONHASHSEED", str(plan.hash_seed + i))
        specs[side] = (command.argv, tree, env, scratch / f"{name}.log")
    status = run_in_turns(specs, timeout_s=7200)
    results = {}
    for side, (_, tree, _, log) in specs.items():
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        results[side] = _checked(
            tree, log.with_suffix(".json"), status[side], lines[-1] if lines else ""
        )
    return results


def run_ab_rounds(
    plan: ABRounds,
    root: Path,
    runner: Runner = subprocess.run,
    screen: Screen | None = None,
    first: FirstStage | None = None,
) -> ABRun:
    """Run ``plan`` at REF and in the working tree at ``root`` (``first``: sequential rounds);
    with ``screen`` and ``plan.confirm_rounds``, re-measure what it names in fresh rounds."""
    if plan.rounds < 2:
        raise InputError(f"--rounds must be at least 2 (the round is the unit), got {plan.rounds}")
    if plan.confirm_rounds and plan.confirm_rounds < 2:
        raise InputError(
            f"--confirm-rounds must be 0 (no second stage) or at least 2, got {plan.confirm_rounds}"
        )
    if plan.interleave not in INTERLEAVE_MODES:
        raise InputError(
            f"--interleave must be one of {', '.join(INTERLEAVE_MODES)}, got {plan.interleave!r}"
        )
    with ref_worktree(root, plan.ref, runner) as ref:
        if plan.keep is not None:
            plan.keep.mkdir(parents=True, exist_ok=True)
            (plan.keep / INTERLEAVE_FILE).write_text(f"{plan.interleave}\n", encoding="utf-8")
        trees = {"A": ref.tree, "B": ref.top}
        note = ""
        if first is None:
            reference, working = _rounds(plan, trees, ref.scratch, runner)
        else:
            reference, working, screen, note = first(plan, trees, ref.scratch, runner, screen)
        again = None
        if screen is not None and plan.confirm_rounds:
            again = _second_stage(
                plan,
                trees,
                ref.scratch,
                (reference, working),
                screen(reference, working),
                runner=runner,
            )
        return ABRun(reference, working, again, note)


def _rounds(
    plan: ABRounds, trees: dict[str, Path], scratch: Path, runner: Runner
) -> tuple[ResultSet, ResultSet]:
    sides: dict[str, list[ResultSet]] = {"A": [], "B": []}
    for i in range(plan.rounds):
        one_round(plan, trees, scratch, i, sides, runner=runner)
    return merge_runs(sides["A"]), merge_runs(sides["B"])


def _second_stage(
    plan: ABRounds,
    trees: dict[str, Path],
    scratch: Path,
    first: tuple[ResultSet, ResultSet],
    ids: Sequence[str],
    *,
    runner: Runner,
) -> tuple[ResultSet, ResultSet] | None:
    """The fresh rounds of the results ``ids``, each side running its own node ids."""
    wanted = set(ids)
    select = {
        side: tuple(
            sorted(
                {
                    str(r.extra["node"])
                    for r in results.results
                    if r.id in wanted and r.extra.get("node")
                }
            )
        )
        for side, results in zip("AB", first, strict=True)
    }
    if not (select["A"] and select["B"]):
        return None
    print(
        f"gate: re-measuring {len(wanted)} result(s) slower than half their threshold in "
        f"{plan.confirm_rounds} fresh rounds: {', '.join(sorted(wanted))}",
        flush=True,
    )
    fresh = replace(
        plan,
        rounds=plan.confirm_rounds,
        select=select,
        tag=CONFIRM_TAG,
        hash_seed=plan.hash_seed + plan.rounds,
    )
    return _rounds(fresh, trees, scratch, runner)


def _round_name(plan: ABRounds, side: str, i: int) -> str:
    return f"{side}-{plan.tag}{i:02d}"


def in_turns(results: ResultSet) -> ResultSet:
    """Mark every result as timed in turns, sample by sample (``extra["turns"]``)."""
    return ResultSet(
        run=results.run,
        results=tuple(replace(r, extra={**r.extra, "turns": True}) for r in results.results),
    )


def _paired_round(
    plan: ABRounds, trees: dict[str, Path], scratch: Path, i: int, sides: dict[str, list[ResultSet]]
) -> None:
    started = time.monotonic()
    for side, result in _bench_pair(trees, scratch, i, plan).items():
        sides[side].append(in_turns(result))
        _keep(plan, scratch / f"{_round_name(plan, side, i)}.json")
    print(
        f"gate: {_stage(plan)}round {i + 1}/{plan.rounds}, both sides in turns, "
        f"in {time.monotonic() - started:.0f}s",
        flush=True,
    )


def one_round(
    plan: ABRounds,
    trees: dict[str, Path],
    scratch: Path,
    i: int,
    sides: dict[str, list[ResultSet]],
    *,
    runner: Runner,
) -> None:
    """Round ``i`` of both sides, appended to ``sides`` (in turns or as whole runs)."""
    if plan.interleave == "rounds":
        _paired_round(plan, trees, scratch, i, sides)
        return
    for side in "AB" if i % 2 == 0 else "BA":
        out = scratch / f"{_round_name(plan, side, i)}.json"
        started = time.monotonic()
        sides[side].append(_bench_once(trees[side], out, plan, runner, side))
        _keep(plan, out)
        print(
            f"gate: {_stage(plan)}round {i + 1}/{plan.rounds} side {side} "
            f"({'ref' if side == 'A' else 'working tree'}) "
            f"in {time.monotonic() - started:.0f}s",
            flush=True,
        )


def _stage(plan: ABRounds) -> str:
    return "fresh " if plan.tag else ""


def _keep(plan: ABRounds, out: Path) -> None:
    if plan.keep is not None:
        shutil.copyfile(out, plan.keep / out.name)


def kept_interleave(folder: Path) -> str:
    """How a ``--keep-rounds`` folder's rounds were interleaved (``runs`` before it was said)."""
    marker = folder / INTERLEAVE_FILE
    if not marker.is_file():
        return "runs"
    mode = marker.read_text(encoding="utf-8").strip()
    if mode not in INTERLEAVE_MODES:
        raise InputError(f"{marker}: unknown interleave mode {mode!r}")
    return mode


def read_kept_rounds(folder: Path, tag: str = "") -> tuple[ResultSet, ResultSet]:
    """The (REF, working tree) sides of one ``--keep-rounds`` folder, rounds labelled
    (``tag="c"``: the second stage's fresh rounds, ``A-c00.json``, ...)."""
    i = 0
    sides: dict[str, list[ResultSet]] = {"A": [], "B": []}
    turns = kept_interleave(folder) == "rounds"
    while all((folder / f"{side}-{tag}{i:02d}.json").is_file() for side in "AB"):
        for side in "AB":
            kept = read_any(folder / f"{side}-{tag}{i:02d}.json")
            sides[side].append(in_turns(kept) if turns else kept)
        i += 1
    if i < 2:
        raise InputError(
            f"{folder}: fewer than two complete rounds ({'A-' + tag}00.json and "
            f"B-{tag}00.json, A-{tag}01.json and B-{tag}01.json, ...)"
        )
    return merge_runs(sides["A"]), merge_runs(sides["B"])


def read_kept_confirm(folder: Path) -> tuple[ResultSet, ResultSet] | None:
    """The second stage's fresh rounds kept in ``folder``, or None where none ran."""
    if not (folder / f"A-{CONFIRM_TAG}00.json").is_file():
        return None
    return read_kept_rounds(folder, CONFIRM_TAG)
