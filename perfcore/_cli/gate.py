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
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from perfcore._cli._flags import int_in
from perfcore._cli._options import add_cross_machine_flag, add_judging_options

if TYPE_CHECKING:
    from perfcore.analysis.compare import GateDecision, SuiteComparison
    from perfcore.analysis.judge import JudgeSettings
    from perfcore.config import Settings
    from perfcore.results.model import ResultSet


DESCRIPTION = (
    "Judge current results against a baseline (--baseline/--current) or "
    "against a git ref run here in interleaved rounds (--against)."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``gate`` command."""
    _stored_flags(parser.add_argument_group("stored results"))
    _rounds_flags(parser.add_argument_group("interleaved rounds against a git ref"))
    _suite_flags(parser.add_argument_group("what the rounds run"))
    parser.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write the report of this decision into DIR (index.html, "
        "summary.md for a CI job summary, junit.xml, verdict.json)",
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="pass although benchmarks of the baseline are missing",
    )
    add_judging_options(parser)
    parser.set_defaults(handler=_run)


def _stored_flags(stored: argparse._ArgumentGroup) -> None:
    """``--baseline B --current C``: two stored result sets."""
    stored.add_argument("--baseline", type=Path, help="baseline results (file or directory)")
    stored.add_argument("--current", type=Path, help="current results (file or directory)")
    stored.add_argument(
        "--confirm",
        type=Path,
        metavar="RERUN",
        help="a second, later run of the current code: what looks slower "
        "on CURRENT is decided on both runs together, and RERUN alone "
        "must be slower too (rules out a passing disturbance)",
    )
    add_cross_machine_flag(stored)


def _rounds_flags(ab: argparse._ArgumentGroup) -> None:
    """``--against REF``: how many rounds, how they interleave, the learnt noise."""
    ab.add_argument("--against", metavar="REF", help="git ref to run and compare against")
    _add_round_options(ab)
    ab.add_argument(
        "--confirm-rounds",
        type=int_in(0, 50),
        default=5,
        metavar="K",
        help="re-measure what looks slower than half its threshold in K fresh "
        "rounds, and fail only on what they confirm (default 5; 0: decide "
        "on the first rounds alone)",
    )
    ab.add_argument(
        "--paired-noise",
        metavar="FILE",
        help="the machine's learnt paired-round noise (default: "
        "<baselines_dir>/<machine>/paired-noise.json, or "
        "paired-noise-runs.json with --interleave runs)",
    )
    ab.add_argument(
        "--no-learn",
        action="store_true",
        help="judge with the learnt noise but do not add this run to it",
    )


def _suite_flags(ab: argparse._ArgumentGroup) -> None:
    """``--against REF``: which benchmarks run, with what options, and what is kept."""
    ab.add_argument(
        "--interleave",
        choices=("rounds", "runs"),
        default="rounds",
        help="rounds (default): both sides run at once, taking turns benchmark "
        "round by round; runs: whole suite runs alternate (ABBA)",
    )
    ab.add_argument("--bench-dir", default="bench", help="benchmark directory (default bench)")
    ab.add_argument(
        "--quick-rounds",
        action="store_true",
        help="quick-profile rounds (3-5 samples a benchmark; much noisier)",
    )
    ab.add_argument(
        "--keep-rounds",
        type=Path,
        metavar="DIR",
        help="keep every round's pytest-benchmark JSON in DIR (A-*.json is REF)",
    )
    ab.add_argument(
        "--all",
        action="store_true",
        dest="all_benchmarks",
        help="run every benchmark, not only those that execute changed code",
    )
    ab.add_argument(
        "--coverage-map",
        type=Path,
        default=Path("reports/coverage-map.json"),
        metavar="FILE",
        help="which benchmarks execute which functions "
        "(perfcore coverage-map writes it; default reports/coverage-map.json)",
    )
    ab.add_argument(
        "--bench-args",
        default="",
        metavar="ARGS",
        help="extra pytest options, one string: --bench-args='-k cache'",
    )


def _add_round_options(ab: argparse._ArgumentGroup) -> None:
    """How many rounds: fixed (``--rounds``) or sequential, and each round's share."""
    ab.add_argument(
        "--rounds",
        type=int_in(2, 50),
        default=None,
        help="a fixed number of rounds per side, every result in each (the rule "
        "before sequential rounds; default: sequential, see --max-rounds)",
    )
    ab.add_argument(
        "--max-rounds",
        type=int_in(2, 50),
        default=None,
        metavar="N",
        help="sequential rounds (the default): after each round from --min-rounds "
        "on, what is decided stops being measured; at most N rounds (default 8)",
    )
    ab.add_argument(
        "--bench-passes",
        type=int_in(1, 10),
        default=1,
        metavar="P",
        help="each gate round times 1/P of every benchmark's rounds (the gate "
        "replicates by rounds; its noise is learnt apart, see docs/gate.md; default 1)",
    )
    ab.add_argument(
        "--min-rounds",
        type=int_in(2, 50),
        default=2,
        metavar="N",
        help="the first look of sequential rounds (default 2)",
    )


class _Sides(NamedTuple):  # not a dataclass: dataclasses would load inspect for --help
    """Both sides read or measured, how to judge them, and gate --against's fresh rounds."""

    baseline: ResultSet
    current: ResultSet
    judging: JudgeSettings
    # gate --against's second stage: fresh paired rounds of what the first looked slower on.
    again: tuple[ResultSet, ResultSet] | None = None
    # Sequential rounds: how many rounds the results needed (said on the verdict line).
    note: str = ""


def _sides(args: argparse.Namespace, settings: Settings) -> _Sides:
    from perfcore.errors import InputError

    if args.against is not None:
        if args.baseline is not None or args.current is not None:
            raise InputError("use either --against or --baseline/--current, not both")
        if args.confirm is not None:
            raise InputError("--confirm applies to --baseline/--current, not to --against")
        return _ab_sides(args, settings)
    if args.baseline is None or args.current is None:
        raise InputError("gate needs --baseline and --current, or --against REF")
    from perfcore._cli.compare import read_stored

    baseline, current, judging = read_stored(args, settings, allow_missing=args.allow_missing)
    return _Sides(baseline, current, judging)


def _ab_sides(args: argparse.Namespace, settings: Settings) -> _Sides:
    import shlex

    from perfcore.analysis.judge import JudgeSettings
    from perfcore.runner import pr_gate
    from perfcore.runner.rounds import ABRounds

    learnt = _paired_noise_path(args)
    prior = dict(pr_gate.load_prior(learnt).benchmarks)
    judging = JudgeSettings.from_settings(
        settings,
        paired=True,
        paired_prior=prior,
        allow_missing=args.allow_missing,
        noise_source=str(learnt) if prior else None,
    )
    seq = _sequential_cap(args)
    nodes = _selected_nodes(args)
    plan = ABRounds(
        ref=args.against,
        rounds=seq or args.rounds,
        max_rounds=seq,
        min_rounds=args.min_rounds,
        passes=args.bench_passes,
        bench_dir=args.bench_dir,
        bench_args=tuple(shlex.split(args.bench_args)),
        keep=args.keep_rounds,
        quick=args.quick_rounds,
        interleave=args.interleave,
        confirm_rounds=args.confirm_rounds,
        select={"A": nodes, "B": nodes} if nodes else {},
    )
    how = f"sequential, {plan.min_rounds} to {seq}" if seq else str(plan.rounds)
    print(
        f"gate: {how} rounds per side against {plan.ref}, interleaved by {plan.interleave}",
        flush=True,
    )
    run = pr_gate.run_against(plan, judging, Path.cwd(), sequential=bool(seq))
    return _Sides(run.reference, run.working, judging, again=run.again, note=run.note)


def _sequential_cap(args: argparse.Namespace) -> int:
    """The cap of sequential rounds, or 0 for a fixed ``--rounds``."""
    from perfcore.analysis.sequential import DEFAULT_MAX_ROUNDS, SequentialDesign
    from perfcore.errors import InputError

    if args.rounds is not None:
        if args.max_rounds is not None:
            raise InputError("use either --rounds (fixed) or --max-rounds (sequential), not both")
        return 0
    cap = DEFAULT_MAX_ROUNDS if args.max_rounds is None else args.max_rounds
    SequentialDesign(alpha=0.5, family=1, min_rounds=args.min_rounds, max_rounds=cap)
    return cap


def _selected_nodes(args: argparse.Namespace) -> tuple[str, ...]:
    """The benchmarks the change can reach (empty: all), said on one line."""
    from perfcore.runner.pr_gate import selected_nodes

    if args.all_benchmarks:
        print("gate: selection: --all: every benchmark", flush=True)
        return ()
    nodes, chosen = selected_nodes(Path.cwd(), args.against, args.bench_dir, args.coverage_map)
    print(f"gate: selection: {chosen.reason}", flush=True)
    return nodes


def _paired_noise_path(args: argparse.Namespace) -> Path:
    from perfcore.config import load_settings
    from perfcore.runner.pr_gate import paired_noise_file

    given = Path(args.paired_noise) if args.paired_noise is not None else None
    return paired_noise_file(
        given, load_settings().baselines_dir, args.interleave, passes=args.bench_passes
    )


def _run(args: argparse.Namespace) -> int:
    from perfcore._cli.compare import say_refusal
    from perfcore.analysis.judge import judge
    from perfcore.config import load_settings
    from perfcore.results.readers import read_any

    settings = load_settings(alpha=args.alpha, threshold=args.threshold)
    sides = _sides(args, settings)
    rerun = read_any(args.confirm) if args.confirm is not None else None
    if rerun is not None:
        from perfcore.results.usable import check_judgeable

        check_judgeable(rerun, f"rerun {args.confirm}")
    suite, decision = judge(
        sides.baseline, sides.current, sides.judging, rerun=rerun, fresh=sides.again
    )
    _print(suite, decision, sides.judging, sides.note)
    if args.report is not None:
        from perfcore.report.pipeline import make_report

        make_report(
            sides.baseline,
            sides.current,
            args.report,
            judging=sides.judging,
            judged=(suite, decision),
        )
        print(f"gate: report written to {args.report}")
    say_refusal(decision)
    if sides.judging.paired and not args.no_learn:
        from perfcore.runner.pr_gate import learn

        path = _paired_noise_path(args)
        count = learn(sides.baseline, sides.current, path)
        print(f"gate: paired-round noise of {count} benchmarks learnt into {path}")
    return decision.exit_code


def _print(
    suite: SuiteComparison, decision: GateDecision, judging: JudgeSettings, note: str = ""
) -> None:
    from perfcore._cli.compare import noise_line, summary_line

    for c in suite.regressions():
        print(
            f"REGRESSED {c.id}: {c.ratio:.3f}x "
            f"({suite.confidence:.0%} CI {c.ci_low:.3f}-{c.ci_high:.3f}), "
            f"threshold {c.threshold:.0%}, p(Holm) {c.p_adjusted:.2g}, {c.basis}"
        )
    for reason in decision.reasons:
        if reason.startswith("missing from current"):  # regressions are printed above
            print(reason)
    for c in suite.comparisons:
        if c.verdict in ("disturbed", "incomparable"):
            print(f"{c.verdict.upper()} {c.id}: {c.basis}")
    verdict = {0: "PASS", 1: "FAIL"}.get(decision.exit_code, "CANNOT JUDGE")
    tail = f"; {note}" if note else ""
    print(f"gate: {verdict}: {summary_line(suite)}; {noise_line(judging, suite)}{tail}")
