"""``perfcore retrain watch|simulate``: the retraining controller over a labelled-outcome stream."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perfcore._cli._options import add_actions, named
from perfcore._cli.models import add_store_flag, open_store

DESCRIPTION = (
    "Feed the retraining controller a JSON-lines stream "
    "of labelled outcomes, or write a synthetic one."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of ``retrain`` with its watch and simulate actions."""
    actions = add_actions(p)
    watch = actions.add_parser("watch", help="run the controller over a JSON-lines stream")
    watch.add_argument("stream", nargs="?", default="-", help="file, or - for stdin (default)")
    watch.add_argument(
        "--dry-run",
        action="store_true",
        help="decide (triggers, cooldown, cost) but do not train or promote",
    )
    watch.add_argument(
        "--reference-accuracy",
        type=float,
        default=None,
        help="judge drops against this (default: setting, else learnt)",
    )
    add_store_flag(watch)
    watch.set_defaults(handler=_watch)
    sim = actions.add_parser("simulate", help="write a synthetic stream with a drop or a drift")
    sim.add_argument("--events", type=int, default=100_000)
    sim.add_argument("--accuracy", type=float, default=0.60, help="live accuracy before")
    sim.add_argument("--drop-to", type=float, default=None, help="live accuracy after --change-at")
    sim.add_argument("--change-at", type=int, default=None, metavar="EVENT")
    sim.add_argument("--drift", type=float, default=0.0, help="shift of feature 0 in SDs")
    sim.add_argument("--drift-at", type=int, default=None, metavar="EVENT")
    sim.add_argument("--features", type=int, default=5)
    sim.add_argument("--rate", type=float, default=50.0, help="events per second of stream time")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--output", default="-", help="file, or - for stdout (default)")
    sim.set_defaults(handler=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from perfcore._atomic import atomic_open
    from perfcore.retraining.stream import StreamSpec, generate, to_jsonl

    spec = StreamSpec(
        accuracy_after=args.drop_to,
        n_features=args.features,
        **named(args, "events", "accuracy", "change_at", "drift", "drift_at", "rate", "seed"),
    )
    lines = to_jsonl(generate(spec, chunk=10_000))
    if args.output == "-":
        try:
            for line in lines:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader stopped (`| head`, or a watch that exited on a bad line): stop
            # quietly as Unix tools do. Point stdout at /dev/null so the interpreter's
            # final flush does not raise again and print a traceback.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 0
    with atomic_open(Path(args.output)) as handle:
        for line in lines:
            handle.write(line + "\n")
    print(f"{spec.events} events -> {args.output}", file=sys.stderr)
    return 0


class _StreamClock:
    """Stream time when events carry ``t``, the wall clock otherwise."""

    def __init__(self) -> None:
        self.now: float | None = None

    def __call__(self) -> float:
        return time.time() if self.now is None else self.now


def _lines(source: str) -> Iterator[str]:
    from perfcore.errors import InputError

    if source == "-":
        yield from sys.stdin
        return
    try:
        with open(source, encoding="utf-8") as handle:
            yield from handle
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from None


def _controller(args: argparse.Namespace, n_features: int | None, clock: _StreamClock) -> Any:
    from dataclasses import replace

    from perfcore.config import load_settings
    from perfcore.retraining import (
        CostLedger,
        PipelineTrainer,
        RetrainingController,
        RetrainingSettings,
    )

    settings = RetrainingSettings.from_mapping(load_settings().retraining)
    if args.reference_accuracy is not None:
        settings = replace(settings, reference_accuracy=args.reference_accuracy)
    store = open_store(args.model_store)
    # A dry run decides against the spending booked by earlier runs but books nothing.
    ledger = CostLedger(settings, clock, path=store.ledger_path, book=not args.dry_run)
    ledger.spent_this_month()  # a corrupt ledger stops the watch before its first decision
    trainer = None if args.dry_run else PipelineTrainer(settings.model_type)
    return RetrainingController(
        settings,
        n_features=n_features or None,
        store=None if args.dry_run else store,
        trainer=trainer,
        clock=clock,
        ledger=ledger,
    )


def _watch(args: argparse.Namespace) -> int:
    from perfcore.retraining.stream import read_jsonl

    clock = _StreamClock()
    controller = None
    counts: dict[str, int] = {}
    for batch in read_jsonl(_lines(args.stream)):
        if batch.times is not None:
            clock.now = float(batch.times[0] if controller is None else batch.times[-1])
        if controller is None:
            width = None if batch.features is None else batch.features.shape[1]
            controller = _controller(args, width, clock)
        for d in controller.observe_batch(batch.predictions, batch.labels, batch.features):
            counts[d.action] = counts.get(d.action, 0) + 1
            version = f" [{d.version}]" if d.version else ""
            print(f"event {d.event}: {d.trigger} -> {d.action}{version}: {d.reason}", flush=True)
    if controller is None:
        from perfcore.errors import InputError

        raise InputError(f"{args.stream}: no events")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no triggers"
    ledger = controller.ledger
    booked = "" if ledger.book else " (dry run: counts this run's estimates, books none)"
    day = "on the stream's day" if clock.now is not None else "today"
    print(
        f"retraining spend: ${ledger.spent_today():.2f} of "
        f"${ledger.settings.daily_limit:.2f} {day}, ${ledger.spent_this_month():.2f} of "
        f"${ledger.settings.monthly_limit:.2f} this month; ledger {ledger.path}{booked}"
    )
    print(
        f"{controller.monitor.events} events; {summary}; {controller.quiet_total} repeated "
        "refusals not shown"
    )
    return 0
