"""``perfcore compare BASELINE CURRENT``: judge every result and print a table, JSON or Markdown."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._jsonio import dumps_strict

if TYPE_CHECKING:
    from perfcore.analysis.compare import Comparison, SuiteComparison
    from perfcore.config import Settings
    from perfcore.results.model import ResultSet


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``compare`` command."""
    parser = subparsers.add_parser(
        "compare", help="compare two runs: ratio, interval, test and verdict per result",
        description="Compare CURRENT against BASELINE (each a file or directory of "
                    "perfcore, pytest-benchmark, asv or Locust results).")
    parser.add_argument("baseline", type=Path, metavar="BASELINE")
    parser.add_argument("current", type=Path, metavar="CURRENT")
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    parser.add_argument("--allow-cross-machine", action="store_true",
                        help="judge results measured on different machines")
    add_judging_options(parser)
    parser.set_defaults(handler=_run)


def add_judging_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by compare and gate: alpha, threshold, noise file."""
    parser.add_argument("--alpha", type=float, default=None,
                        help="family-wise false-alarm rate (default: [tool.perfcore] alpha)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="regression threshold as a fraction, e.g. 0.05 "
                             "(default: [tool.perfcore] threshold)")
    parser.add_argument("--noise", type=Path, default=None,
                        help="calibrated noise (perfcore.noise/1); default: noise.json "
                             "beside the baseline when present")


@dataclass(frozen=True)
class Sides:
    """Both sides of a comparison, read, with the calibrated noise that applies."""

    baseline: ResultSet
    current: ResultSet
    between_run_sd: dict[str, float]
    noise_source: Path | None
    between_run_df: dict[str, float] | None = None
    paired: bool = False
    paired_prior: dict[str, tuple[float, float]] | None = None
    # gate --against's second stage: fresh paired rounds of what the first looked slower on.
    again: tuple[ResultSet, ResultSet] | None = None


def read_sides(baseline: Path, current: Path, noise: Path | None) -> Sides:
    """Read both sides in any supported format, and the noise file if any."""
    from perfcore.results.noise_file import load_noise
    from perfcore.results.readers import noise_file_for, read_any, read_noting_skips
    from perfcore.results.usable import check_judgeable, check_not_lost

    base = read_any(baseline)
    curr, skipped = read_noting_skips(current)
    check_judgeable(base, f"baseline {baseline}")
    check_judgeable(curr, f"current {current}")
    check_not_lost(base, skipped, f"current {current}")
    source = noise if noise is not None else noise_file_for(baseline)
    if noise is None and not source.is_file():
        return Sides(base, curr, {}, None)
    model = load_noise(source)
    return Sides(base, curr, model.between_run_sd(), source, model.between_run_df())


def check_same_machine(sides: Sides, *, allow: bool) -> None:
    """BaselineError (exit 2) when both sides name their machines and the two differ."""
    from perfcore.errors import BaselineError
    from perfcore.results.readers import UNKNOWN_MACHINE

    mb, mc = sides.baseline.run.machine, sides.current.run.machine
    known = UNKNOWN_MACHINE.id not in (mb.id, mc.id)
    if known and mb.id != mc.id and not allow:
        raise BaselineError(f"baseline was measured on machine {mb.id} ({mb.cpu}), current on "
                            f"{mc.id} ({mc.cpu}); pass --allow-cross-machine to judge anyway")


def judge(sides: Sides, settings: Settings, family_size: int | None = None) -> SuiteComparison:
    """Compare the sides; ComparisonError when they have no result in common."""
    from perfcore.analysis.compare import compare_suites
    from perfcore.errors import ComparisonError

    suite = compare_suites(sides.baseline, sides.current, settings=settings,
                           between_run_sd=sides.between_run_sd,
                           between_run_df=sides.between_run_df, paired=sides.paired,
                           paired_prior=sides.paired_prior, family_size=family_size)
    if not suite.compared():
        raise ComparisonError("baseline and current have no benchmark in common "
                              f"({len(sides.baseline.results)} vs {len(sides.current.results)} "
                              "results); nothing was compared")
    return suite


def _run(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings

    settings = load_settings(alpha=args.alpha, threshold=args.threshold)
    sides = read_sides(args.baseline, args.current, args.noise)
    check_same_machine(sides, allow=args.allow_cross_machine)
    suite = judge(sides, settings)
    if args.format == "json":
        print(dumps_strict(suite.to_dict()))  # Infinity and NaN are not JSON: null
    else:
        print(render_table(suite, markdown=args.format == "markdown"))
    return 0


_HEADER = ("result", "baseline", "current", "ratio", "CI", "p (Holm)", "MDC", "verdict")


def _row(c: Comparison) -> tuple[str, ...]:
    from perfcore.report.formatting import fmt_interval, fmt_mdc, fmt_p, fmt_ratio, fmt_value

    return (c.id, fmt_value(c.baseline_median, c.unit), fmt_value(c.current_median, c.unit),
            fmt_ratio(c.ratio), fmt_interval(c.ci_low, c.ci_high), fmt_p(c.p_adjusted),
            fmt_mdc(c.mdc), c.verdict)


def render_table(suite: SuiteComparison, *, markdown: bool = False) -> str:
    """The suite as an aligned text table (or a Markdown table) with a summary line."""
    rows = [_HEADER, *(_row(c) for c in suite.comparisons)]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "---|" * len(_HEADER))
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                 for r in rows]
    return "\n".join([*lines, "", summary_line(suite)])


def summary_line(suite: SuiteComparison) -> str:
    """``3 regressed, 1 improved, ...`` with the rule's family-wise rate and confidence."""
    counts = ", ".join(f"{n} {verdict}" for verdict, n in suite.counts().items())
    return (f"{counts} (Holm family-wise alpha {suite.alpha:g}, "
            f"{suite.confidence:.0%} intervals on current/baseline)")
