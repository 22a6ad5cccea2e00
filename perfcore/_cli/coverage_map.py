"""``perfcore coverage-map``: which functions each benchmark executes (for gate --against)."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = (
    "Run every benchmark once with timing off under coverage and write, per "
    "pytest node id, the functions it executed. gate --against reads it to "
    "run only the benchmarks a change can reach."
)


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of the ``coverage-map`` command."""
    parser.add_argument("--bench-dir", default="bench", help="benchmark directory (default bench)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports/coverage-map.json"),
        help="where to write it (default reports/coverage-map.json)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.runner.coverage_map import record_map
    from perfcore.runner.selection import save_map

    print(f"coverage-map: running {args.bench_dir} once under coverage (timing off)...", flush=True)
    cov = record_map(Path.cwd(), args.bench_dir)
    save_map(args.out, cov)
    print(f"coverage-map: {len(cov.benchmarks)} benchmarks -> {args.out}")
    return 0
