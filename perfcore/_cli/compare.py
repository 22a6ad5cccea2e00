"""``perfcore compare BASELINE CURRENT``: judge every result and print a table, JSON or Markdown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli._options import add_cross_machine_flag, add_exit_code_flag, add_judging_options

if TYPE_CHECKING:
    from perfcore.analysis.compare import Comparison, GateDecision, SuiteComparison
    from perfcore.analysis.judge import JudgeSettings
    from perfcore.config import Settings
    from perfcore.results.model import ResultSet


DESCRIPTION = (
    "Compare CURRENT against BASELINE (each a file or directory of "
    "perfcore, pytest-benchmark, asv or Locust results)."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``compare`` command."""
    parser.add_argument("baseline", type=Path, metavar="BASELINE")
    parser.add_argument("current", type=Path, metavar="CURRENT")
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    add_cross_machine_flag(parser)
    add_exit_code_flag(parser)
    add_judging_options(parser)
    parser.set_defaults(handler=_run)


def read_stored(
    args: argparse.Namespace, settings: Settings, **options: bool
) -> tuple[ResultSet, ResultSet, JudgeSettings]:
    """The stored ``--baseline``/``--current`` (compare, gate) read and checked usable,
    with the noise to judge them by; unusable input is an error, exit 2."""
    from perfcore.runner.stored import read_checked

    return read_checked(
        settings,
        args.baseline,
        args.current,
        args.noise,
        allow_cross_machine=args.allow_cross_machine,
        **options,
    )


def say_refusal(decision: GateDecision, prefix: str = "perfcore: error: ") -> None:
    """An exit 2 always says why: its reasons, one line on stderr."""
    if decision.exit_code == 2:
        print(f"{prefix}{'; '.join(decision.reasons)}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from perfcore.analysis.judge import judge
    from perfcore.config import load_settings

    settings = load_settings(alpha=args.alpha, threshold=args.threshold)
    baseline, current, judging = read_stored(args, settings)
    suite, decision = judge(baseline, current, judging)
    if not suite.compared():  # nothing to show: unusable input whatever --exit-code says
        say_refusal(decision)
        return 2
    if args.format == "json":
        from perfcore._jsonio import dumps_strict

        print(dumps_strict(suite.to_dict()))  # Infinity and NaN are not JSON: null
    else:
        print(render_table(suite, markdown=args.format == "markdown"))
        print(noise_line(judging, suite))
    if args.exit_code:
        say_refusal(decision)
        return decision.exit_code
    say_refusal(decision, prefix="compare: the gate would refuse: ")
    return 0


_HEADER = ("result", "baseline", "current", "ratio", "CI", "p (Holm)", "MDC", "verdict")


def _row(c: Comparison) -> tuple[str, ...]:
    from perfcore.report.numbers import fmt_interval, fmt_mdc, fmt_p, fmt_ratio, fmt_value

    return (
        c.id,
        fmt_value(c.baseline_median, c.unit),
        fmt_value(c.current_median, c.unit),
        fmt_ratio(c.ratio),
        fmt_interval(c.ci_low, c.ci_high),
        fmt_p(c.p_adjusted),
        fmt_mdc(c.mdc),
        c.verdict,
    )


def render_table(suite: SuiteComparison, *, markdown: bool = False) -> str:
    """The suite as an aligned text table (or a Markdown table) with a summary line."""
    rows = [_HEADER, *(_row(c) for c in suite.comparisons)]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "---|" * len(_HEADER))
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
        lines = [
            "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
    return "\n".join([*lines, "", summary_line(suite)])


def noise_line(judging: JudgeSettings, suite: SuiteComparison | None = None) -> str:
    """Where the between-run noise came from, or how to calibrate when it is a default.

    Uncalibrated, it also names the smallest slowdown the gate could judge in ``suite``
    (the least minimum detectable change, 80% power, over its compared results).
    """
    if judging.paired:
        return "noise: paired rounds of this run"
    if judging.noise_source:
        return f"noise: calibrated from {judging.noise_source}"
    mdcs = [c.mdc for c in suite.comparisons if c.mdc is not None] if suite else []
    floor = f"; smallest slowdown it can judge here: {min(mdcs):.0%}" if mdcs else ""
    return (
        f"noise: uncalibrated (a default between-run prior{floor}); calibrate with "
        "`perfcore calibrate`, keep several saved runs beside the baseline, "
        "or judge with `perfcore gate --against REF`"
    )


def summary_line(suite: SuiteComparison) -> str:
    """``3 regressed, 1 improved, ...`` with the rule's family-wise rate and confidence."""
    counts = ", ".join(f"{n} {verdict}" for verdict, n in suite.counts().items())
    return (
        f"{counts} (Holm family-wise alpha {suite.alpha:g}, "
        f"{suite.confidence:.0%} intervals on current/baseline)"
    )
