"""``perfcore tune``: the capacity of each server configuration tried, and the best one.

Exit 0 with a recommendation, 1 when no configuration met the SLO at any rate tried,
2 on bad input (including a precision every variant of which the gate refused).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from perfcore._cli._flags import float_in, int_in
from perfcore.errors import ConfigError

EXIT_OK, EXIT_FAILED = 0, 1


# perfcore.optimisation.capacity.STRATEGIES' names, written out so that building the
# parser loads no numpy (tests/optimisation pins the two equal).
STRATEGY_NAMES = ("aggressive", "balanced", "conservative")


DESCRIPTION = (
    "Start the server on loopback with one configuration at a time (workers, "
    "micro-batch rows and wait, precision), find the highest open-loop "
    "arrival rate whose corrected p99 meets the SLO, and walk to better "
    "configurations one bounded step at a time."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``tune`` subcommand."""
    p.add_argument("--model-dir", default="models/current")
    p.add_argument(
        "--synthetic-model",
        action="store_true",
        help="tune serving of the small synthetic logistic model",
    )
    p.add_argument(
        "--slo-p99-ms",
        type=float_in(0, 60_000, low_open=True, unit="ms"),
        default=20.0,
        help="p99 objective (default 20)",
    )
    _search_flags(p.add_argument_group("search"))
    _output_flags(p.add_argument_group("outputs and alerts"))
    p.set_defaults(handler=_run)


def _search_flags(p: argparse._ArgumentGroup) -> None:
    """How the search walks: strategy, budget, step length, first rate, retries."""
    p.add_argument(
        "--strategy",
        choices=STRATEGY_NAMES,
        default="balanced",
        help="how far each step may move the rate and the settings",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small budget: 4 configurations, 1.5 s steps, 120 s in all",
    )
    p.add_argument(
        "--time-budget",
        type=float_in(10, 3600, unit="s"),
        default=None,
        metavar="S",
        help="stop starting new steps after S seconds (default 600, quick 120)",
    )
    p.add_argument("--max-configs", type=int_in(1, 64), default=None, help="configurations to try")
    p.add_argument(
        "--step-duration",
        type=float_in(0.5, 120, unit="s"),
        default=None,
        help="seconds of load a step",
    )
    p.add_argument(
        "--start-rate",
        type=float_in(1, 100_000, unit="requests/s"),
        default=200.0,
        help="first arrival rate /s",
    )
    p.add_argument("--connections", type=int_in(1, 1024), default=32)
    p.add_argument(
        "--retry-failed",
        type=int_in(0, 3),
        default=0,
        metavar="N",
        help="re-run a failing search step up to N times (a busy, shared machine)",
    )
    p.add_argument(
        "--start-profile",
        default=None,
        metavar="NAME",
        help="configuration to start from (default: the one recommended here)",
    )


def _output_flags(p: argparse._ArgumentGroup) -> None:
    """What the tuning writes, and whom it alerts."""
    p.add_argument("--profile-name", default="tuned", help="name of the profile written out")
    p.add_argument(
        "--profile-out",
        type=Path,
        default=None,
        help="write the recommended profile as a TOML table to this file",
    )
    p.add_argument("--output", type=Path, default=None, help="JSON of every trial and probe")
    p.add_argument(
        "--alert-webhook",
        default=None,
        metavar="URL",
        help="POST an alert (JSON) when a step's p99 or errors break the SLO",
    )
    p.add_argument(
        "--alert-command",
        nargs="+",
        default=None,
        metavar="ARG",
        help="run this argv (no shell; alert JSON on stdin) on the same alerts",
    )


def _limits(args: argparse.Namespace) -> tuple[Any, Any]:
    from perfcore.load.tune import StepSettings
    from perfcore.optimisation.tuning import TuneLimits

    quick = args.quick
    budget = args.time_budget or (120.0 if quick else 600.0)
    configs = args.max_configs or (4 if quick else 8)
    if not 10 <= budget <= 3600 or not 1 <= configs <= 64:
        raise ConfigError("time budget must lie in [10, 3600] s and max configs in 1..64")
    if not 1 <= args.start_rate <= 100_000:
        raise ConfigError("start rate must lie in [1, 100000] requests/s")
    if not 0 <= args.retry_failed <= 3:
        raise ConfigError("--retry-failed must lie in 0..3")
    limits = TuneLimits(
        max_configs=configs,
        time_budget_s=budget,
        max_steps=5 if quick else 7,
        start_rate=args.start_rate,
        precision=0.2 if quick else 0.1,
        measure_rejected=not quick,
        retry_failed=args.retry_failed,
    )
    steps = StepSettings(
        duration_s=args.step_duration or (1.5 if quick else 3.0), connections=args.connections
    )
    return limits, steps


def _ladders(args: argparse.Namespace, cores: int) -> tuple[dict[str, tuple[Any, ...]], str]:
    """The settings to search; precisions the promotion gate refuses are left out."""
    from perfcore.optimisation.precision import PRECISIONS, make_variant
    from perfcore.optimisation.tuning import DEFAULT_LADDERS
    from perfcore.optimisation.variants import VariantTolerance, check_variant, reference_model

    reference, data = reference_model(None if args.synthetic_model else Path(args.model_dir))
    allowed: list[str] = []
    refused: list[str] = []
    for precision in PRECISIONS:
        check = check_variant(
            reference, make_variant(reference, precision), data, VariantTolerance(), precision
        )
        (allowed if check.decision.passed else refused).append(precision)
    ladders = dict(DEFAULT_LADDERS)
    ladders["precision"] = tuple(allowed)
    ladders["workers"] = tuple(w for w in DEFAULT_LADDERS["workers"] if w <= max(cores, 1))
    note = f"precisions refused by the gate: {', '.join(refused)}" if refused else ""
    return ladders, note


def _start(args: argparse.Namespace, cores: int, memory: int) -> tuple[Any, str]:
    from perfcore.config import load_settings
    from perfcore.optimisation.profiles import recommend_profile, resolve_profiles

    profiles = resolve_profiles(load_settings().profiles)
    name = args.start_profile or recommend_profile(cores, memory)
    if name not in profiles:
        raise ConfigError(f"unknown profile {name!r}; known: {', '.join(sorted(profiles))}")
    return profiles[name].settings, name


def _alerts(args: argparse.Namespace, slo: Any) -> Any:
    """An alert manager over the steps: p99 past the SLO, any errors."""
    from perfcore.optimisation.alertmanager import AlertManager
    from perfcore.optimisation.alerts import AlertPolicy, ThresholdRule
    from perfcore.optimisation.channels import Channel, CommandChannel, WebhookChannel

    channels: list[Channel] = []
    if args.alert_webhook:
        channels.append(WebhookChannel(args.alert_webhook))
    if args.alert_command:
        channels.append(CommandChannel.of(args.alert_command))
    rules = [
        ThresholdRule("p99_over_slo", "load.p99_s", slo.p99_s),
        ThresholdRule("errors", "load.error_rate", 0.0),
    ]
    return AlertManager(rules, channels, policy=AlertPolicy(cooldown_s=30.0))


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from perfcore.config import load_settings
    from perfcore.load.tune import ServerTarget
    from perfcore.optimisation.capacity import SLO, STRATEGIES
    from perfcore.optimisation.profiles import detect_system
    from perfcore.optimisation.tuning import tune
    from perfcore.serving.model import ensure_model

    limits, steps = _limits(args)
    slo = SLO(p99_s=args.slo_p99_ms / 1000, min_requests=max(50, int(steps.duration_s * 20)))
    cores, memory = detect_system()
    start, start_name = _start(args, cores, memory)
    if not args.synthetic_model:
        ensure_model(Path(args.model_dir))
    ladders, note = _ladders(args, cores)
    if start.precision not in ladders["precision"]:
        start = replace(start, precision="float64")
    if start.workers not in ladders["workers"]:
        start = replace(start, workers=ladders["workers"][-1])
    workdir = load_settings().resolve(Path("reports/latest")) / "tune"
    print(
        f"machine: {cores} cores, {memory / 2**30:.1f} GiB; start from profile {start_name}"
        f" ({start.label()}); load average {_loadavg()}",
        file=sys.stderr,
    )
    if note:
        print(note, file=sys.stderr)
    model_dir = None if args.synthetic_model else args.model_dir
    alerts = _alerts(args, slo)
    with ServerTarget(model_dir, workdir, steps, alerts=alerts, progress=_progress) as target:
        result = tune(target, start, slo, STRATEGIES[args.strategy], limits, ladders=ladders)
        restarts = target.restarts
    counts = alerts.summary()
    _report(args, result, slo, restarts, counts)
    print(
        f"alerts: {dict(counts['fired'])} fired, {counts['counts'].get('delivered', 0)} "
        f"delivered, {counts['pending']} pending retry, {counts['dead']} dropped"
    )
    return EXIT_OK if result.best_rate > 0 else EXIT_FAILED


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _report(
    args: argparse.Namespace, result: Any, slo: Any, restarts: int, alerts: dict[str, Any]
) -> None:
    from perfcore._atomic import atomic_write_json, atomic_write_text
    from perfcore.optimisation.profiles import profile_toml

    print(
        f"{'configuration':<26} {'capacity at p99<=' + f'{slo.p99_s * 1e3:g}ms':>22} "
        f"{'steps':>5}  outcome"
    )
    for trial in result.trials:
        probes = trial.capacity.probes
        rate = f"{trial.capacity.rate:.0f}/s"
        if probes and not any(p.passed for p in probes):  # nothing passed: only a bound
            rate = f"< {min(p.rate for p in probes):.0f}/s"
        print(f"{trial.settings.label():<26} {rate:>22} {len(probes):>5}  {trial.note}")
    toml = profile_toml(
        args.profile_name,
        result.best,
        f"perfcore tune: {result.best_rate:.0f}/s at p99 <= {slo.p99_s * 1e3:g} ms",
    )
    print(f"\nrecommended: {result.best.label()} ({result.best_rate:.0f}/s)\n{toml}")
    print(
        f"search cost: {result.elapsed_s:.1f} s, {result.probes} load steps, {restarts} server "
        f"starts ({result.stopped}); load average {_loadavg()}"
    )
    if args.profile_out is not None:
        atomic_write_text(args.profile_out, toml)
    if args.output is not None:
        atomic_write_json(args.output, _as_json(result, slo, restarts, alerts))


def _as_json(result: Any, slo: Any, restarts: int, alerts: dict[str, Any]) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "schema": "perfcore.tune/1",
        "slo": asdict(slo),
        "elapsed_s": result.elapsed_s,
        "server_starts": restarts,
        "alerts": alerts,
        "stopped": result.stopped,
        "best": asdict(result.best),
        "best_rate": result.best_rate,
        "trials": [
            {
                "settings": asdict(t.settings),
                "capacity": t.capacity.rate,
                "adopted": t.adopted,
                "rolled_back": t.rolled_back,
                "note": t.note,
                "probes": [
                    {"rate": p.rate, "reason": p.reason, **asdict(p.step)}
                    for p in t.capacity.probes
                ],
            }
            for t in result.trials
        ],
    }
