"""``perfcore run``: the main job (benchmarks, load test, verdicts, report) in one command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = (
    "Run the benchmark suite and a short local-vs-cloud load test, compare "
    "with this machine's stored baseline (recording a first one when none exists), "
    "append to the history, judge the claims and render the report. Exits 1 on a "
    "regression, like the gate."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``run`` command."""
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and a shorter load test (about a minute)"
    )
    parser.add_argument(
        "--no-load",
        dest="load",
        action="store_false",
        help="skip the load test (its baseline results are not judged)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: [tool.perfcore] output_dir)"
    )
    parser.add_argument(
        "-k",
        dest="select",
        default=None,
        metavar="EXPR",
        help="only the benchmarks matching this pytest -k expression",
    )
    parser.add_argument(
        "--no-confirm",
        dest="confirm",
        action="store_false",
        help="fail on a first regression without re-running it to confirm",
    )
    parser.add_argument(
        "--no-remeasure",
        dest="remeasure",
        action="store_false",
        help="never re-measure the baseline's commit here: refuse (exit 2) when the stored "
        "numbers are stale, and let regressions against them stand unchecked",
    )
    parser.add_argument(
        "--remeasure-all",
        action="store_true",
        help="when the stored numbers are stale, re-measure the whole suite at the "
        "baseline's commit (minutes per round) and refresh them, instead of judging with "
        "the host's common shift removed and checking regressions at that commit",
    )
    parser.add_argument(
        "--passes",
        type=_positive,
        default=None,
        metavar="N",
        help="passes over the suite, each in its own process with a share of "
        "the rounds (default 3, 1 with --quick)",
    )
    parser.set_defaults(handler=_run)


def _positive(text: str) -> int:
    from perfcore.config import positive_int

    try:
        return positive_int(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _run(args: argparse.Namespace) -> int:
    from perfcore._cli.compare import say_refusal
    from perfcore.config import load_settings
    from perfcore.runner.main_job import JobSettings, run_main_job

    settings = load_settings()
    job = JobSettings(
        settings=settings,
        quick=args.quick,
        load=args.load,
        out_dir=args.out,
        pytest_args=("-k", args.select) if args.select else (),
        confirm=args.confirm,
        passes=args.passes,
        remeasure=args.remeasure,
        remeasure_all=args.remeasure_all,
    )
    outcome = run_main_job(job, stream=sys.stderr)
    print(outcome.verdict_line, flush=True)
    say_refusal(outcome.decision)
    return outcome.exit_code
