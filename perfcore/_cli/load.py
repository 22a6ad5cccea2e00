"""``perfcore load``: local server and cloud simulator under Locust or open-loop load."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from perfcore._cli._flags import choice_list, float_in, int_in, list_of
from perfcore._cli._options import add_batching_options, named
from perfcore._cli.models import add_store_flag, open_store
from perfcore.errors import ConfigError
from perfcore.load.limits import (
    MAX_CONNECTIONS,
    MAX_DURATION_S,
    MAX_PROCESSES,
    MAX_RATE,
    MAX_REQUESTS,
    MAX_USERS,
    TARGETS,
)

EXIT_OK, EXIT_FAILED = 0, 1


_RATE = float_in(0, MAX_RATE, low_open=True, unit="requests/s")
_USERS = int_in(1, MAX_USERS)
_SECONDS = float_in(0, MAX_DURATION_S, unit="s")


DESCRIPTION = (
    "Start the servers on free loopback ports, run the "
    "load, stop them, write results and compare local with cloud."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``load`` subcommand."""
    _load_flags(p)
    _server_flags(p.add_argument_group("servers"))
    _cloud_flags(p.add_argument_group("cloud simulator"))
    p.add_argument(
        "--min-requests",
        type=int_in(0, MAX_REQUESTS),
        default=200,
        help="fewer makes a run invalid",
    )
    p.add_argument("--min-duration", type=_SECONDS, default=2.0, help="shorter is invalid")
    p.add_argument("--seed", type=int_in(0, 2**32 - 1), default=0)
    p.add_argument(
        "--output", type=Path, default=None, help="results file (default: <output_dir>/load.json)"
    )
    p.set_defaults(handler=_run)


def _load_flags(p: argparse.ArgumentParser) -> None:
    """What load to apply, and the service levels it is held to."""
    p.add_argument(
        "--targets",
        type=choice_list(TARGETS),
        default=None,
        help="comma list of local,cloud,cloud-cache (default: all three)",
    )
    p.add_argument("--users", type=_USERS, default=8, help="closed-loop Locust users (default 8)")
    p.add_argument(
        "--duration",
        type=float_in(0, MAX_DURATION_S, low_open=True, unit="s"),
        default=10.0,
        help="seconds per load point",
    )
    p.add_argument(
        "--max-requests",
        type=int_in(1, MAX_REQUESTS),
        default=None,
        help="stop a point after N requests",
    )
    p.add_argument(
        "--rate",
        type=_RATE,
        default=None,
        help="open loop: arrivals per second, latency from the scheduled start",
    )
    p.add_argument("--arrival", choices=("constant", "poisson"), default="constant")
    p.add_argument(
        "--connections",
        type=int_in(1, MAX_CONNECTIONS),
        default=64,
        help="open-loop connection pool",
    )
    p.add_argument("--sweep-users", type=list_of(_USERS), default=(), metavar="1,2,4,8")
    p.add_argument("--sweep-rates", type=list_of(_RATE), default=(), metavar="500,1000,2000")
    p.add_argument(
        "--shape",
        choices=("constant", "step", "spike"),
        default=None,
        help="a Locust load shape instead of constant users",
    )
    p.add_argument(
        "--processes",
        type=int_in(1, MAX_PROCESSES),
        default=1,
        help="Locust distributed mode: a master and N local workers",
    )
    p.add_argument(
        "--slo",
        action="append",
        default=[],
        metavar="[TARGET:]EXPR",
        help='service level, e.g. "p99<20ms" or "local:error_rate<1%%" (repeatable)',
    )


def _server_flags(p: argparse._ArgumentGroup) -> None:
    """The server under load: a real endpoint, or the local one's model and batching."""
    p.add_argument(
        "--remote-url",
        default=None,
        help="load a real endpoint instead (key from $PERFCORE_REMOTE_API_KEY)",
    )
    add_store_flag(p)
    p.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)  # older spelling
    p.add_argument(
        "--synthetic-model",
        action="store_true",
        help="serve a small synthetic logistic model instead of the store's current",
    )
    add_batching_options(p)
    p.add_argument("--stall-at", type=_SECONDS, default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--stall-for", type=float_in(0, 60, unit="s"), default=1.0, help=argparse.SUPPRESS
    )
    p.add_argument("--crash-at", type=_SECONDS, default=None, help=argparse.SUPPRESS)


def _cloud_flags(p: argparse._ArgumentGroup) -> None:
    """The simulated cloud endpoint's latency, errors, rate limit and price."""
    p.add_argument(
        "--cloud-rtt-ms",
        type=float_in(0, 60_000, unit="ms"),
        default=40.0,
        help="median cloud round trip",
    )
    p.add_argument("--cloud-error-rate", type=float_in(0, 1), default=0.001)
    p.add_argument(
        "--cloud-rate-limit",
        type=float_in(0, 1e9, low_open=True),
        default=2000.0,
        help="requests/s",
    )
    p.add_argument(
        "--cloud-price", type=float_in(0, 1e9), default=0.20, help="price per 1,000 requests"
    )


def _settings(args: argparse.Namespace, workdir: Path) -> Any:
    from perfcore.load.orchestrate import TARGETS, LoadSettings
    from perfcore.load.results import Validity
    from perfcore.serving.app import ServerConfig
    from perfcore.serving.cloud import CloudModel

    try:
        server = ServerConfig(
            batch_rows=args.batch_rows,
            batch_wait_ms=args.batch_wait_ms,
            stall_at_s=args.stall_at,
            stall_for_s=args.stall_for,
            crash_at_s=args.crash_at,
        )
        cloud = CloudModel(
            rtt_median_s=args.cloud_rtt_ms / 1000,
            error_rate=args.cloud_error_rate,
            rate_limit_rps=args.cloud_rate_limit,
            price_per_1k=args.cloud_price,
            seed=args.seed,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return LoadSettings(
        targets=args.targets or TARGETS,
        duration_s=args.duration,
        model_dir=None if args.synthetic_model else _model_dir(args),
        server=server,
        cloud=cloud,
        validity=Validity(args.min_requests, args.min_duration),
        workdir=workdir,
        **named(args, "users", "max_requests", "rate", "arrival", "sweep_users", "sweep_rates"),
        **named(args, "processes", "shape", "connections", "remote_url", "seed"),
    )


def _model_dir(args: argparse.Namespace) -> str:
    if args.model_dir:
        return str(args.model_dir)
    from perfcore.retraining.publish import ensure_current

    store = open_store(args.model_store)
    ensure_current(store)
    return str(store.current_path)


def _progress(line: str) -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{line}", end="", file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from perfcore.config import load_settings
    from perfcore.load.orchestrate import run_load
    from perfcore.load.report import check_slos, format_table, parse_slos
    from perfcore.load.results import to_result_set

    config = load_settings()
    output = args.output or config.resolve(config.output_dir) / "load.json"
    slos = parse_slos(args.slo)  # bad SLO text is a usage error before any load runs
    settings = _settings(args, output.parent / "load")
    report = run_load(settings, progress=_progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    open_loop = bool(settings.rate or settings.sweep_rates)
    to_result_set(report.measurements, "perfcore" if open_loop else "locust").save(output)
    print(format_table(report.measurements))
    print(f"results: {output}")
    failed = list(report.problems)
    failed += check_slos(slos, report.measurements, print_line=print)
    for problem in report.problems:
        print(f"perfcore load: {problem}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
