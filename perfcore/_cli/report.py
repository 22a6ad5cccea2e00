"""``perfcore report``: compare two result files and render the report (HTML, MD, JSON, JUnit)."""

from __future__ import annotations

import argparse
from pathlib import Path

from perfcore._cli._options import add_exit_code_flag, add_judging_options

DESCRIPTION = (
    "Compare current results with a baseline and write index.html, "
    "summary.md, verdict.json and junit.xml."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``report`` command."""
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="baseline results (file or directory, any supported format; "
        "default: this machine's stored baseline)",
    )
    parser.add_argument(
        "--current",
        type=Path,
        required=True,
        help="current results (file or directory, any supported format)",
    )
    parser.add_argument(
        "--history",
        type=Path,
        default=None,
        help="history root holding <machine-id>/ run files "
        "(default: reports/history when it exists)",
    )
    parser.add_argument("--load", type=Path, default=None, help="load-test results file")
    parser.add_argument(
        "--claims",
        type=Path,
        default=None,
        help="claims file (default: [tool.perfcore] claims_file when it exists)",
    )
    parser.add_argument(
        "--alerts",
        type=Path,
        default=None,
        metavar="FILE",
        help="alert statistics to show (perfcore tune --output, or an "
        "AlertManager summary as JSON)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: [tool.perfcore] output_dir)"
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="a result missing from the current run does not fail the gate",
    )
    add_exit_code_flag(parser)
    add_judging_options(parser)
    parser.set_defaults(handler=_run)


def _existing(path: Path | None, fallback: Path) -> Path | None:
    if path is not None:
        return path
    return fallback if fallback.exists() else None


def _run(args: argparse.Namespace) -> int:
    from perfcore._cli.compare import say_refusal
    from perfcore.config import load_settings
    from perfcore.report.alerts import read_alerts_file
    from perfcore.report.pipeline import make_report
    from perfcore.report.render import check_output_dir
    from perfcore.results.baselines import BaselineStore
    from perfcore.results.claims_file import load_claims
    from perfcore.results.history import history_dir, load_history
    from perfcore.results.readers import read_any, read_noting_skips
    from perfcore.results.usable import check_judgeable, check_not_lost
    from perfcore.runner.stored import read_baseline, stored_judging

    settings = load_settings(alpha=args.alpha, threshold=args.threshold)
    out_dir = args.out or settings.resolve(settings.output_dir)
    check_output_dir(out_dir)
    current, skipped = read_noting_skips(args.current)
    check_judgeable(current, f"current {args.current}")
    machine = current.run.machine.id
    if args.baseline is not None:
        baseline, judging = read_baseline(
            settings, args.baseline, args.current, args.noise, allow_missing=args.allow_missing
        )
    else:
        store = BaselineStore(settings.resolve(settings.baselines_dir))
        baseline, where = store.load(machine), store.machine_dir(machine)
        judging = stored_judging(settings, where, args.noise, allow_missing=args.allow_missing)
    check_judgeable(baseline, "baseline")
    check_not_lost(baseline, skipped, f"current {args.current}")
    history_root = _existing(args.history, settings.resolve(Path("reports/history")))
    history = (
        load_history(history_root, machine)
        if history_root and history_dir(history_root, machine).is_dir()
        else ()
    )
    claims_path = _existing(args.claims, settings.resolve(settings.claims_file))
    report = make_report(
        baseline,
        current,
        out_dir,
        judging=judging,
        history=history,
        claims=load_claims(claims_path) if claims_path else (),
        load=read_any(args.load) if args.load else None,
        asv_site=settings.resolve(Path(".asv/html/index.html")),
        alerts=read_alerts_file(args.alerts) if args.alerts else None,
    )
    print(report.verdict_line)
    say_refusal(report.decision)
    return report.decision.exit_code if args.exit_code else 0
