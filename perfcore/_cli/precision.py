"""``perfcore precision``: every precision variant side by side -- the promotion gate's
accuracy and ECE change, single-row latency, batch throughput and model memory."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

DESCRIPTION = "Judge each precision variant with the promotion gate and time it in this process."


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``precision`` subcommand."""
    p.add_argument("--model-dir", default="models/current")
    p.add_argument("--synthetic-model", action="store_true")
    p.add_argument("--calls", type=int, default=2000, help="single-row calls timed per variant")
    p.add_argument("--batch", type=int, default=256, help="rows per call for throughput")
    p.add_argument("--max-accuracy-drop", type=float, default=0.01)
    p.add_argument("--max-ece-rise", type=float, default=0.01)
    p.add_argument(
        "--served-rate",
        type=float,
        default=None,
        metavar="R",
        help="also serve each variant passing the gate on loopback and offer R "
        "requests/s open-loop: corrected p50/p99 and achieved throughput",
    )
    p.add_argument("--served-duration", type=float, default=5.0, metavar="S")
    p.add_argument(
        "--cloud",
        action="store_true",
        help="serve behind the simulated cloud endpoint (network delay, errors)",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from perfcore.config import positive_int
    from perfcore.errors import ConfigError
    from perfcore.optimisation.variants import VariantTolerance, measure_variants, reference_model
    from perfcore.serving.model import ensure_model

    try:
        calls, batch = positive_int(str(args.calls)), positive_int(str(args.batch))
    except ValueError as exc:
        raise ConfigError(f"--calls/--batch: {exc}") from None
    tolerance = VariantTolerance(args.max_accuracy_drop, args.max_ece_rise)
    if not args.synthetic_model:
        ensure_model(Path(args.model_dir))
    reference, data = reference_model(None if args.synthetic_model else Path(args.model_dir))
    rows = measure_variants(reference, data, tolerance, calls=calls, batch=batch)
    print(
        f"model {reference.version}; evaluated on {data.source} ({len(data.y)} rows); "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print(
        f"{'precision':<9} {'gate':<5} {'d_acc':>8} {'d_ECE':>8} {'p50 us':>8} {'p99 us':>8} "
        f"{'rows/s':>11} {'model B':>8} {'peak alloc B':>12}"
    )
    for r in rows:
        size = "-" if r.model_bytes is None else str(r.model_bytes)
        print(
            f"{r.precision:<9} {'pass' if r.gate_passed else 'FAIL':<5} "
            f"{r.accuracy_delta:>+8.4f} {r.ece_delta:>+8.4f} {r.p50_us:>8.1f} {r.p99_us:>8.1f} "
            f"{r.rows_per_s:>11.0f} {size:>8} {r.peak_alloc_bytes:>12}"
        )
    if args.served_rate is not None:
        _served(args, [r.precision for r in rows if r.gate_passed])
    return 0


def _served(args: argparse.Namespace, precisions: list[str]) -> None:
    """One open-loop step per precision against a freshly started local server."""
    from perfcore.config import load_settings
    from perfcore.errors import ConfigError
    from perfcore.load.tune import ServerTarget, StepSettings
    from perfcore.optimisation.profiles import ServerSettings

    if not 1 <= args.served_rate <= 50_000:
        raise ConfigError("--served-rate must lie in [1, 50000] requests/s")
    steps = StepSettings(duration_s=args.served_duration)
    workdir = load_settings().resolve(Path("reports/latest")) / "precision"
    model_dir = None if args.synthetic_model else args.model_dir
    where = "behind the simulated cloud" if args.cloud else "local"
    print(
        f"\nserved {where}, one worker, no batching, {args.served_rate:g}/s for "
        f"{args.served_duration:g} s (corrected latency)"
    )
    print(f"{'precision':<9} {'p50 ms':>8} {'p99 ms':>8} {'achieved/s':>11} {'errors':>7}")
    with ServerTarget(model_dir, workdir, steps, kind="cloud" if args.cloud else "local") as target:
        for precision in precisions:
            target.apply(ServerSettings(batch_rows=0, precision=precision))
            step = target.run(args.served_rate)
            p50 = "-" if step.p50_s is None else f"{step.p50_s * 1e3:.2f}"
            p99 = "-" if step.p99_s is None else f"{step.p99_s * 1e3:.2f}"
            print(f"{precision:<9} {p50:>8} {p99:>8} {step.achieved_rate:>11.0f} {step.errors:>7}")
