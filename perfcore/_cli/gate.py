"""``perfcore gate``: fail CI on a real regression, against stored results or a git ref.

Two modes:

* ``--baseline B --current C``: judge stored results (any supported format);
* ``--against REF``: run the suite at REF (a temporary worktree) and in the working
  tree on this machine, and judge the rounds pair by pair, with the spread of per-round
  differences learnt from this machine's earlier gate runs (``paired-noise.json``)
  or, for benchmarks it has not seen, fitted across the suite. By default
  (``--interleave rounds``) each round's two suite runs take turns benchmark round by
  benchmark round, and their samples are paired; ``--interleave runs`` alternates
  whole suite runs. Then (``--confirm-rounds K``, default 5) the results whose ratio
  is slower than half their threshold run again, alone, for K fresh rounds, and a
  regression must show on those fresh rounds (one-sided, Holm over the re-measured
  results; :func:`perfcore.analysis.compare.confirm_in_fresh_rounds`).

Exit 0 pass, 1 regression (or a missing benchmark without ``--allow-missing``),
2 unusable input: corrupt, empty or unknown files, nothing in common, or results
from another machine without ``--allow-cross-machine``.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli.compare import Sides, add_judging_options

if TYPE_CHECKING:
    from perfcore.analysis.compare import GateDecision, SuiteComparison
    from perfcore.config import Settings
    from perfcore.results.paired_noise import PairedNoise


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``gate`` command."""
    parser = subparsers.add_parser(
        "gate", help="exit 1 on a significant regression beyond its threshold",
        description="Judge current results against a baseline (--baseline/--current) or "
                    "against a git ref run here in interleaved rounds (--against).")
    stored = parser.add_argument_group("stored results")
    stored.add_argument("--baseline", type=Path, help="baseline results (file or directory)")
    stored.add_argument("--current", type=Path, help="current results (file or directory)")
    stored.add_argument("--confirm", type=Path, metavar="RERUN",
                        help="a second, later run of the current code: what looks slower "
                             "on CURRENT is decided on both runs together, and RERUN alone "
                             "must be slower too (rules out a passing disturbance)")
    stored.add_argument("--allow-cross-machine", action="store_true",
                        help="judge results measured on different machines")
    ab = parser.add_argument_group("interleaved rounds against a git ref")
    ab.add_argument("--against", metavar="REF", help="git ref to run and compare against")
    ab.add_argument("--rounds", type=int, default=5, help="rounds per side (default 5)")
    ab.add_argument("--confirm-rounds", type=int, default=5, metavar="K",
                    help="re-measure what looks slower than half its threshold in K fresh "
                         "rounds, and fail only on what they confirm (default 5; 0: decide "
                         "on the first rounds alone)")
    ab.add_argument("--interleave", choices=("rounds", "runs"), default="rounds",
                    help="rounds (default): both sides run at once, taking turns benchmark "
                         "round by round; runs: whole suite runs alternate (ABBA)")
    ab.add_argument("--bench-dir", default="bench", help="benchmark directory (default bench)")
    ab.add_argument("--quick-rounds", action="store_true",
                    help="quick-profile rounds (3-5 samples a benchmark; much noisier)")
    ab.add_argument("--keep-rounds", type=Path, metavar="DIR",
                    help="keep every round's pytest-benchmark JSON in DIR (A-*.json is REF)")
    ab.add_argument("--paired-noise", metavar="FILE",
                    help="the machine's learnt paired-round noise (default: "
                         "<baselines_dir>/<machine>/paired-noise.json, or "
                         "paired-noise-runs.json with --interleave runs)")
    ab.add_argument("--no-learn", action="store_true",
                    help="judge with the learnt noise but do not add this run to it")
    ab.add_argument("--bench-args", default="", metavar="ARGS",
                    help="extra pytest options, one string: --bench-args='-k cache'")
    parser.add_argument("--allow-missing", action="store_true",
                        help="pass although benchmarks of the baseline are missing")
    add_judging_options(parser)
    parser.set_defaults(handler=_run)


def _sides(args: argparse.Namespace, settings: Settings) -> Sides:
    from perfcore.errors import InputError

    if args.against is not None:
        if args.baseline is not None or args.current is not None:
            raise InputError("use either --against or --baseline/--current, not both")
        return _ab_sides(args, settings)
    if args.baseline is None or args.current is None:
        raise InputError("gate needs --baseline and --current, or --against REF")
    from perfcore._cli.compare import check_same_machine, read_sides

    sides = read_sides(args.baseline, args.current, args.noise)
    check_same_machine(sides, allow=args.allow_cross_machine)
    return sides


def _ab_sides(args: argparse.Namespace, settings: Settings) -> Sides:
    from perfcore._cli._ab_rounds import ABRounds, run_ab_rounds
    from perfcore._cli.compare import judge
    from perfcore.analysis.compare import screen_slower
    from perfcore.results.model import ResultSet

    learnt = _paired_noise_path(args)
    prior = dict(_load_prior(learnt).benchmarks)
    plan = ABRounds(ref=args.against, rounds=args.rounds, bench_dir=args.bench_dir,
                    bench_args=tuple(shlex.split(args.bench_args)), keep=args.keep_rounds,
                    quick=args.quick_rounds, interleave=args.interleave,
                    confirm_rounds=args.confirm_rounds)
    print(f"gate: {plan.rounds} rounds per side against {plan.ref}, interleaved by "
          f"{plan.interleave}", flush=True)

    def screen(reference: ResultSet, working: ResultSet) -> list[str]:
        first = Sides(reference, working, {}, None, paired=True, paired_prior=prior)
        return screen_slower(judge(first, settings))

    run = run_ab_rounds(plan, Path.cwd(), screen=screen)
    return Sides(run.reference, run.working, {}, learnt if prior else None, paired=True,
                 paired_prior=prior, again=run.again)


def _paired_noise_path(args: argparse.Namespace) -> Path:
    from perfcore.config import load_settings
    from perfcore.results.environment import current_machine
    from perfcore.results.paired_noise import paired_noise_path

    if args.paired_noise is not None:
        return Path(args.paired_noise)
    return paired_noise_path(load_settings().baselines_dir, current_machine().id,
                             args.interleave)


def _load_prior(path: Path) -> PairedNoise:
    from perfcore.results.environment import current_machine
    from perfcore.results.paired_noise import load_paired_noise

    return load_paired_noise(path, current_machine().id)


def _learn(sides: Sides, path: Path) -> None:
    """Fold this run's paired-round spread into the machine's pool (any verdict teaches)."""
    from perfcore.analysis.compare import paired_spread
    from perfcore.results.paired_noise import save_paired_noise

    observed = paired_spread(sides.baseline, sides.current)
    pool = _load_prior(path).learnt(observed)
    save_paired_noise(path, pool)
    print(f"gate: paired-round noise of {len(observed)} benchmarks learnt into {path}")


def _confirmed(suite: SuiteComparison, sides: Sides, rerun: Path,
               settings: Settings) -> SuiteComparison:
    from dataclasses import replace

    from perfcore._cli.compare import judge
    from perfcore.analysis.compare import decide_with_rerun
    from perfcore.errors import InputError
    from perfcore.results.readers import read_any
    from perfcore.results.usable import check_judgeable

    if sides.paired:
        raise InputError("--confirm applies to --baseline/--current, not to --against")
    again = read_any(rerun)
    check_judgeable(again, f"rerun {rerun}")
    return decide_with_rerun(
        suite, (sides.baseline, sides.current), again,
        lambda b, c, m: judge(replace(sides, baseline=b, current=c), settings, family_size=m))


def _run(args: argparse.Namespace) -> int:
    from perfcore._cli.compare import judge
    from perfcore.analysis.compare import decide_gate
    from perfcore.config import load_settings

    settings = load_settings(alpha=args.alpha, threshold=args.threshold)
    sides = _sides(args, settings)
    suite = judge(sides, settings)
    if args.confirm is not None:
        suite = _confirmed(suite, sides, args.confirm, settings)
    if sides.again is not None:
        from perfcore.analysis.compare import confirm_in_fresh_rounds

        suite = confirm_in_fresh_rounds(suite, (sides.baseline, sides.current), sides.again,
                                        settings=settings, paired_prior=sides.paired_prior)
    decision = decide_gate(suite, allow_missing=args.allow_missing, shift_guard=not sides.paired)
    _print(suite, decision, sides)
    if sides.paired and not args.no_learn:
        _learn(sides, _paired_noise_path(args))
    return decision.exit_code


def _print(suite: SuiteComparison, decision: GateDecision, sides: Sides) -> None:
    from perfcore._cli.compare import summary_line

    for c in suite.regressions():
        print(f"REGRESSED {c.id}: {c.ratio:.3f}x "
              f"({suite.confidence:.0%} CI {c.ci_low:.3f}-{c.ci_high:.3f}), "
              f"threshold {c.threshold:.0%}, p(Holm) {c.p_adjusted:.2g}, {c.basis}")
    for reason in decision.reasons:
        if reason.startswith("missing from current"):  # regressions are printed above
            print(reason)
    noise = f"; noise from {sides.noise_source}" if sides.noise_source else ""
    verdict = "PASS" if decision.passed else "FAIL"
    print(f"gate: {verdict}: {summary_line(suite)}{noise}")
