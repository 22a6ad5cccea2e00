"""``perfcore claims``: the claims ledger, each claim judged against its measured value."""

from __future__ import annotations

import argparse
from pathlib import Path

_DEFAULT_RESULTS = Path("reports/latest/results.json")


DESCRIPTION = "Print each claim as confirmed, refuted or not measured, with the number."


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``claims`` command."""
    parser.add_argument(
        "--results",
        nargs="+",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"results files or directories (default: {_DEFAULT_RESULTS})",
    )
    parser.add_argument(
        "--claims-file",
        type=Path,
        default=None,
        help="claims file (default: [tool.perfcore] claims_file)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.analysis.claims import judge_claims
    from perfcore.config import load_settings
    from perfcore.results.claims_file import load_claims
    from perfcore.results.model import Result
    from perfcore.results.readers import read_any

    settings = load_settings(claims_file=args.claims_file)
    claims = load_claims(settings.resolve(settings.claims_file))
    paths = args.results or [settings.resolve(_DEFAULT_RESULTS)]
    results: dict[str, Result] = {}
    for path in paths:
        if args.results is None and not path.exists():
            continue  # nothing measured yet: every claim is "not measured"
        results.update(read_any(path).by_id())
    ledger = judge_claims(claims, results)
    rows = [("claim", "status", "measured", "claimed", "note")]
    for v in ledger:
        measured = "-" if v.measured is None else f"{v.measured:.4g} {v.claim.unit}"
        rows.append((v.claim.name, v.status, measured, v.claim.range_text, v.note))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    counts = {
        s: sum(v.status == s for v in ledger) for s in ("confirmed", "refuted", "not measured")
    }
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0
