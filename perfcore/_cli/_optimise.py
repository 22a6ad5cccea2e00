"""``perfcore serve``'s optimisation options: ``--profile`` and ``--precision`` (kept apart
from serve.py so that module stays small; perfcore.optimisation does the work)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from perfcore.errors import ConfigError

if TYPE_CHECKING:
    from perfcore.serving.app import ServerConfig


class ServeChoice(NamedTuple):  # not a dataclass: building the parser must stay light
    """What the options decided: the server config, the precision and the worker count."""

    config: ServerConfig
    precision: str
    workers: int
    note: str


# perfcore.optimisation.precision.PRECISIONS, written out so that building the parser
# imports no numpy (tests/optimisation/test_precision.py pins the two equal).
PRECISION_CHOICES = ("float64", "float32", "float16", "int8")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The optimisation flags of ``perfcore serve``."""
    p.add_argument(
        "--precision",
        choices=PRECISION_CHOICES,
        default=None,
        help="serve a precision variant; it must pass the promotion gate against "
        "the full-precision model (default float64, or the profile's)",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="NAME",
        help="apply a profile: latency, throughput, balanced or one from "
        "[tool.perfcore.profiles] (sets workers, batching and precision)",
    )
    p.add_argument(
        "--max-accuracy-drop",
        type=float,
        default=0.01,
        help="how far a variant's accuracy may fall below full precision's",
    )
    p.add_argument(
        "--max-ece-rise",
        type=float,
        default=0.01,
        help="how far a variant's ECE may rise above full precision's",
    )


def choose(args: argparse.Namespace, config: ServerConfig) -> ServeChoice:
    """Apply ``--profile``, then check ``--precision`` with the promotion gate."""
    from dataclasses import replace

    from perfcore.optimisation.variants import VariantTolerance, reference_model, require_variant

    precision, workers, note = "float64", 1, ""
    if args.profile is not None:
        from perfcore.config import load_settings
        from perfcore.optimisation.profiles import resolve_profiles

        profiles = resolve_profiles(load_settings().profiles)
        if args.profile not in profiles:
            raise ConfigError(
                f"unknown profile {args.profile!r}; known: {', '.join(sorted(profiles))}"
            )
        chosen = profiles[args.profile].settings
        config = replace(config, batch_rows=chosen.batch_rows, batch_wait_ms=chosen.batch_wait_ms)
        precision, workers = chosen.precision, chosen.workers
        note = f"profile {args.profile}: {chosen.label()}"
    precision = args.precision or precision
    if precision != "float64":
        tolerance = VariantTolerance(args.max_accuracy_drop, args.max_ece_rise)
        model_dir = None if args.synthetic_model else Path(args.model_dir)
        reference, data = reference_model(model_dir)
        _, check = require_variant(reference, precision, data, tolerance)
        note += (
            f"{'; ' if note else ''}{precision} passed the gate on {data.source}: "
            f"accuracy {check.accuracy_delta:+.4f}, ECE {check.ece_delta:+.4f}"
        )
    return ServeChoice(config, precision, workers, note)


def serve_workers(spec: object, workers: int, log_dir: Path) -> None:
    """Run ``workers`` server processes on one port in the foreground until Ctrl-C."""
    from perfcore.serving.process import start_workers
    from perfcore.serving.server import ServerSpec

    assert isinstance(spec, ServerSpec)
    procs = start_workers(spec, log_dir, workers)
    try:
        while all(p.alive() for p in procs):
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.stop()
