"""How good is the gate? False alarms and power of three regression rules on real runs.

Give it K result files from K repeated runs of the benchmark suite with *no code
change* between them (pytest-benchmark JSON written with ``--benchmark-save-data``,
or perfcore results)::

    for i in $(seq 1 15); do
        .venv/bin/python -m pytest bench/ --benchmark-only -q --quick \\
            --benchmark-save-data --benchmark-json=/tmp/study/run-$i.json
    done
    .venv/bin/python -m studies.gate_study /tmp/study/run-*.json --out /tmp/study/table.md

Every ordered pair of runs (A, B) is one no-change comparison (K = 15 gives 210).
Each rule judges B against A:

* ``perfcore``: :func:`perfcore.compare_suites` with the project's settings and its
  default between-run noise;
* ``perfcore+noise``: the same with per-benchmark between-run noise learnt from the
  *other* K - 2 runs only (leave-pair-out: the pair judged never teaches the model);
* ``pytest-benchmark``: ``--benchmark-compare-fail=median:5%``, i.e. fail when
  ``median(B) / median(A) * 100 - 100 > 5``;
* ``asv``: ``asv compare --factor 1.1``, calling asv's own ``_is_result_better``
  (Mann-Whitney U at p < 0.002 on the raw samples, CI overlap when too few).

False alarms are counted per benchmark comparison and per pair of suites (a gate
fails when any benchmark is flagged). Power: for each pair and each benchmark in
turn, the current side's samples of that one benchmark are slowed by ``s`` (times
``1 + s`` for lower-is-better results, divided by it for higher-is-better ones), the
whole suite is judged again and the injected benchmark must be flagged. The
smallest slowdown flagged in at least 95% of injections is given per group.
``--synthetic K`` runs the same study on generated runs (for developing the script).

State is explicit: a :class:`Context` (the settings judged with, the gate runs a learnt
prior is pooled from, whether Mann-Whitney U takes part) is built once from the
command line and handed to every rule; nothing in perfcore is patched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from perfcore.config import Settings, load_settings
from perfcore.results.model import ResultSet
from studies.gate_rules import (
    CONFIRM_RULES,
    INTERLEAVED_RULES,
    REFERENCE_RULES,
    Context,
    Rule,
    Sides,
    rule_perfcore,
)
from studies.gate_runs import (
    baseline_draws,
    common_benchmarks,
    fresh_pairs,
    group_of,
    group_passes,
    interleaved_windows,
    read_gate_dirs,
    read_run,
    side_pairs,
    synthetic_runs,
)
from studies.gate_tables import Tally, render
from studies.gate_trials import fresh_spread, fresh_study, study

# The slowdowns injected one benchmark at a time unless --slowdowns says otherwise.
SLOWDOWNS = (0.05, 0.10, 0.15, 0.20, 0.30, 0.50)


def _only(rules: dict[str, tuple[Rule, str]], spec: str) -> dict[str, tuple[Rule, str]]:
    """The rules named by ``spec``: ``;``-separated texts, each a substring of a rule's
    name, or its whole name when it ends in ``$``."""
    items = [t.strip() for t in spec.split(";") if t.strip()]

    def wanted(name: str) -> bool:
        return any(name == t[:-1] if t.endswith("$") else t in name for t in items)

    return {k: v for k, v in rules.items() if wanted(k)}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    # Added in this order so that --help lists the flags as it always has.
    _input_flags(parser)
    _layout_flags(parser)
    _rule_flags(parser)
    _fresh_flags(parser)
    return parser


def _input_flags(parser: argparse.ArgumentParser) -> None:
    """The runs studied, the slowdowns injected and on how many pairs."""
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--synthetic", type=int, default=0, metavar="K")
    parser.add_argument("--slowdowns", default=",".join(f"{s:g}" for s in SLOWDOWNS))
    parser.add_argument(
        "--power-pairs",
        type=int,
        default=None,
        help="judge injections on this many random ordered pairs (default all)",
    )


def _layout_flags(parser: argparse.ArgumentParser) -> None:
    """How the runs are laid out into no-change comparisons."""
    parser.add_argument(
        "--runs-per-side",
        type=int,
        default=1,
        metavar="M",
        help="merge M runs per side (the gate's rounds mode); default 1",
    )
    parser.add_argument(
        "--baseline-runs",
        type=int,
        default=0,
        metavar="K",
        help="production layout: a baseline merged from K runs, its noise "
        "learnt from those K runs (perfcore calibrate --save-baseline), "
        "judged against one other run",
    )
    parser.add_argument(
        "--interleaved",
        type=int,
        default=0,
        metavar="R",
        help="the files are directories kept by gate --against --keep-rounds; "
        "judge windows of R consecutive interleaved rounds as A/A gates",
    )
    parser.add_argument(
        "--confirm",
        action="store_true",
        help="with --baseline-runs K: judge one run, then re-judge what it "
        "flagged on a third run (perfcore run's confirmation)",
    )
    parser.add_argument(
        "--passes",
        type=int,
        default=1,
        metavar="P",
        help="with --baseline-runs: merge consecutive runs P at a time into "
        "runs of P passes (perfcore run --passes P) before drawing",
    )
    parser.add_argument(
        "--stride",
        type=int,
        default=1,
        help="rounds between the starts of two windows (--interleaved)",
    )
    parser.add_argument(
        "--draws", type=int, default=200, help="random disjoint side draws when M > 1 (default 200)"
    )


def _rule_flags(parser: argparse.ArgumentParser) -> None:
    """Which rules judge, at what alpha, with which seed, and where the tables go."""
    parser.add_argument(
        "--only",
        default="",
        metavar="TEXT",
        help="judge only with the rules whose name contains TEXT "
        "(several: separate with ';'; a whole name: end it with '$')",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="family-wise false-alarm rate (default: [tool.perfcore] alpha)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)


def _fresh_flags(parser: argparse.ArgumentParser) -> None:
    """gate --against's fresh rounds, the spread study and the kept-rounds variants."""
    parser.add_argument(
        "--fresh",
        type=int,
        default=0,
        metavar="K",
        help="with --interleaved: each gate run's rounds as the first stage, "
        "K rounds of another gate run as gate --against's fresh rounds "
        "(its second stage), with and without that stage",
    )
    parser.add_argument(
        "--per-benchmark",
        action="store_true",
        help="also give each benchmark's smallest slowdown flagged in 95%%",
    )
    parser.add_argument(
        "--fresh-spread",
        action="store_true",
        help="the files are --keep-rounds folders: compare the spread of the "
        "fresh rounds kept there with the whole-suite rounds'",
    )
    parser.add_argument(
        "--without-u",
        action="store_true",
        help="with --fresh: leave Mann-Whitney U out of perfcore's rule, to "
        "see what its veto costs",
    )
    parser.add_argument(
        "--plain-medians",
        action="store_true",
        help="with --interleaved: judge rounds taken in turns by the "
        "difference of medians, not sample by sample",
    )


def _layout(
    args: argparse.Namespace,
    n_runs: int,
    pairs: Sequence[tuple[int, int]],
    rng: np.random.Generator,
) -> tuple[dict[str, tuple[Rule, str]], list[Sides]]:
    """The rules judged and the no-change comparisons they judge, for the chosen layout."""
    rules = _only(REFERENCE_RULES, args.only) if args.only else dict(REFERENCE_RULES)
    if args.confirm:
        return dict(CONFIRM_RULES), baseline_draws(
            n_runs, args.baseline_runs, args.draws, rng, confirm=True
        )
    if args.interleaved:
        rules = {
            **INTERLEAVED_RULES,
            **{k: v for k, v in rules.items() if v[0] is not rule_perfcore},
        }
        if args.only:
            rules = _only(rules, args.only)
        return rules, interleaved_windows(pairs, args.interleaved, args.stride)
    if args.baseline_runs:
        rules = {
            "perfcore (calibrated baseline)": (rule_perfcore, "baseline"),
            **{k: v for k, v in rules.items() if v[1] == ""},
        }
        return rules, baseline_draws(n_runs, args.baseline_runs, args.draws, rng)
    return rules, side_pairs(n_runs, args.runs_per_side, args.draws, rng)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: files or --synthetic K; prints (and optionally writes) the tables."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.fresh_spread:
        print(fresh_spread(args.files))
        return 0
    settings = load_settings(alpha=args.alpha)
    runs, pairs, blocks = _read_runs(args)
    if len(runs) < 4:
        parser.error("need at least 4 runs (15 or more for 210 pairs)")
    runs, ids = common_benchmarks(runs)
    if not ids:
        parser.error("the runs share no benchmark with positive samples")
    ctx = Context(settings=settings, blocks=blocks, mann_whitney=not args.without_u)
    singles: list[ResultSet] = []
    members: list[tuple[int, ...]] = []
    if args.passes > 1:
        singles = list(runs)
        runs, members = group_passes(singles, args.passes)
    slowdowns = tuple(float(s) for s in args.slowdowns.split(","))
    groups: dict[str, list[str]] = {}
    for r in runs[0].results:
        groups.setdefault(group_of(r), []).append(r.id)
    rng = np.random.default_rng(args.seed)
    rules, comparisons = _layout(args, len(runs), pairs, rng)
    where = _where(settings, ids)
    if args.fresh:
        tallies, header = _fresh(
            parser, args, ctx, runs, ids, slowdowns=slowdowns, pairs=pairs, where=where
        )
    else:
        tallies = study(
            ctx,
            runs,
            ids,
            rules,
            slowdowns,
            comparisons=comparisons,
            power_pairs=args.power_pairs,
            rng=rng,
            singles=singles,
            members=members,
        )
        header = (
            f"{len(runs)} no-change runs, {len(comparisons)} {_what(args, singles, pairs)}, {where}"
        )
    text = render(settings, tallies, groups, slowdowns, header, per_benchmark=args.per_benchmark)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


def _read_runs(
    args: argparse.Namespace,
) -> tuple[list[ResultSet], list[tuple[int, int]], tuple[Sides, ...]]:
    """The runs studied, and with --interleaved the rounds' pairs and each gate run's block."""
    if args.interleaved:
        kept = read_gate_dirs(args.files, plain_medians=args.plain_medians)
        return kept.runs, kept.pairs, kept.blocks
    if args.synthetic:
        return synthetic_runs(args.synthetic, args.seed), [], ()
    return [read_run(p) for p in args.files], [], ()


def _where(settings: Settings, ids: Sequence[str]) -> str:
    """The header's tail: how many benchmarks, judged with which threshold and alpha."""
    return (
        f"{len(ids)} benchmarks; settings threshold {settings.threshold:.0%}, "
        f"alpha {settings.alpha}"
    )


def _fresh(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    ctx: Context,
    runs: Sequence[ResultSet],
    ids: Sequence[str],
    *,
    slowdowns: Sequence[float],
    pairs: Sequence[tuple[int, int]],
    where: str,
) -> tuple[dict[str, Tally], str]:
    """--fresh: gate --against's two stages judged, and the header that says how."""
    if not args.interleaved:
        parser.error("--fresh needs --interleaved")
    staged = fresh_pairs(ctx.blocks, args.fresh)
    if not staged:
        parser.error(f"--fresh {args.fresh} needs two gate runs of at least {args.fresh} rounds")
    header = (
        f"{len(runs)} no-change runs, {len(staged)} A/A gates: each of "
        f"{len(ctx.blocks)} gate runs as the first rounds, {args.fresh} rounds of "
        f"another as the fresh rounds ({len(pairs)} rounds in all), {where}"
    )
    return fresh_study(ctx, runs, ids, slowdowns, staged), header


def _what(
    args: argparse.Namespace, singles: Sequence[ResultSet], pairs: Sequence[tuple[int, int]]
) -> str:
    """What each no-change comparison of the study is, for the header."""
    if args.interleaved:
        return (
            f"A/A gates of {args.interleaved} interleaved rounds a side "
            f"(windows every {args.stride} rounds, {len(pairs)} rounds in all)"
        )
    if not args.baseline_runs:
        return (
            "ordered pairs"
            if args.runs_per_side == 1
            else f"random disjoint draws of {args.runs_per_side} runs a side"
        )
    what = f"draws of a {args.baseline_runs}-run baseline against one other run"
    if args.passes > 1:
        what = f"runs of {args.passes} passes (merged from {len(singles)} single runs); " + what
    return what + (" (and a re-run to confirm)" if args.confirm else "")


if __name__ == "__main__":
    sys.exit(main())
