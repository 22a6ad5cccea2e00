"""``perfcore slo RESULTS --slo 'p99<20ms' ...``: judge load results against service levels.

Exit 0 when every objective holds for every target judged, 1 when one is missed
(a metric that was not measured counts as missed), 2 on bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore.errors import InputError

DESCRIPTION = (
    "Evaluate objectives such as p99<20ms, error_rate<1%%, throughput>5000/s "
    "over load results (ids load.<target>.<metric>)."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``slo`` command."""
    parser.add_argument("results", type=Path, help="load results (perfcore or Locust output)")
    parser.add_argument(
        "--slo",
        action="append",
        required=True,
        metavar="OBJECTIVE",
        help="an objective, e.g. 'p99<20ms'; repeat for several",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=None,
        metavar="NAME",
        help="load target to judge (default: every target in the file)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.analysis.slo import evaluate_slos, load_targets, metrics_from_results, parse_slo
    from perfcore.results.readers import read_any

    slos = [parse_slo(text) for text in args.slo]
    results = read_any(args.results)
    available = load_targets(results)
    if not available:
        raise InputError(f"{args.results}: no load results (ids load.<target>.<metric>)")
    targets = args.target or list(available)
    unknown = sorted(set(targets) - set(available))
    if unknown:
        raise InputError(
            f"unknown target(s) {', '.join(unknown)}; the results have {', '.join(available)}"
        )
    missed = 0
    for target in targets:
        for outcome in evaluate_slos(slos, metrics_from_results(results, target)):
            measured = (
                "not measured"
                if outcome.measured is None
                else _show(outcome.slo.metric, outcome.measured)
            )
            status = "pass" if outcome.passed else "MISS"
            missed += not outcome.passed
            print(f"{status}  {target}: {outcome.slo.text}  (measured {measured})")
    print(f"{missed} objective(s) missed" if missed else "all objectives met")
    return 1 if missed else 0


def _show(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value:.3%}"
    if metric == "throughput":  # a small rate (a few req/s) keeps its digits
        return f"{value:,.0f}/s" if value >= 100 else f"{value:.3g}/s"
    return f"{value * 1e3:.3f}ms"
