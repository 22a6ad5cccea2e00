"""``perfcore train``: train one model through the four timed phases and the promotion gate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from perfcore._cli._options import named
from perfcore._cli.models import add_store_flag, open_store
from perfcore.training.catalog import MODEL_TYPES

PHASE_RESULTS_FILE = "phase_results.json"

if TYPE_CHECKING:
    from perfcore.training import TrainingConfig, TrainingResult


DESCRIPTION = (
    "Train one model (data_loading, preprocessing, training, validation), "
    "judge it against the promotion gate and store it under OUTPUT_DIR/models/."
)


def configure(p: argparse.ArgumentParser) -> None:
    """The options of the ``train`` command."""
    p.add_argument("--model-type", choices=MODEL_TYPES, default="logistic")
    p.add_argument(
        "--dataset",
        default="breast_cancer",
        help="breast_cancer, iris, wine, digits, covtype, synthetic, or a CSV path "
        "with a label column (default: breast_cancer)",
    )
    p.add_argument(
        "--num-samples",
        type=int,
        default=None,
        help="rows to use (default: the whole dataset; 1000 for synthetic)",
    )
    p.add_argument("--epochs", type=int, default=20, help="epochs (simple_transformer)")
    p.add_argument(
        "--batch-size", type=int, default=32, help="mini-batch size (simple_transformer)"
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--output-dir", type=Path, default=Path("reports/latest/training"))
    _record_flags(p.add_argument_group("reports, audit and drift"))
    gate = p.add_argument_group("promotion gate")
    gate.add_argument("--min-accuracy", type=float, default=0.85, help="minimum accuracy")
    gate.add_argument("--max-ece", type=float, default=0.08, help="maximum ECE")
    gate.add_argument(
        "--fail-on-gate", action="store_true", help="exit 1 when the model fails the promotion gate"
    )
    add_store_flag(p)
    p.set_defaults(handler=_run)


def _record_flags(p: argparse._ArgumentGroup) -> None:
    """What a training run writes beside the model: performance report, audit, drift."""
    p.add_argument(
        "--enable-performance-optimization",
        action="store_true",
        help="print the phase table and write the performance report",
    )
    p.add_argument(
        "--performance-target-reduction",
        type=float,
        default=30.0,
        metavar="PERCENT",
        help="wanted reduction against the baseline (default 30)",
    )
    p.add_argument("--enable-audit", action="store_true", help="append events to the audit log")
    p.add_argument(
        "--audit-path",
        type=Path,
        default=None,
        help="audit log (default: OUTPUT_DIR/audit/training.jsonl)",
    )
    p.add_argument(
        "--audit-key-file",
        type=Path,
        default=None,
        help="key that signs the audit root, created (mode 0600) if absent "
        "(default: $PERFCORE_AUDIT_KEY, $PERFCORE_AUDIT_KEY_FILE, "
        "~/.config/perfcore/audit.key)",
    )
    p.add_argument(
        "--enable-drift-tracking",
        action="store_true",
        help="record this cohort's metrics and write the drift report",
    )
    p.add_argument(
        "--drift-report-dir",
        type=Path,
        default=None,
        help="drift directory (default: OUTPUT_DIR/drift)",
    )
    p.add_argument("--cohort-id", default="default")


def _config(args: argparse.Namespace) -> TrainingConfig:
    from perfcore.training import GateThresholds, TrainingConfig

    given = named(
        args,
        *("model_type", "dataset", "num_samples", "epochs", "batch_size", "seed", "output_dir"),
        *("enable_performance_optimization", "performance_target_reduction"),
        *("enable_audit", "audit_path", "audit_key_file"),
        *("enable_drift_tracking", "drift_report_dir", "cohort_id"),
    )
    gate = GateThresholds(min_accuracy=args.min_accuracy, max_ece=args.max_ece)
    return TrainingConfig(gate=gate, **given)


def _print_result(result: TrainingResult) -> None:
    m = result.metrics
    print(
        f"{result.config.model_type} on {result.dataset} ({result.dataset_source}): "
        f"accuracy {m.accuracy:.4f}, ECE {m.ece:.4f}, {m.samples} validation samples"
    )
    print(f"  model: {result.description}")
    if result.gate.passed:
        print(f"promotion gate passed: model stored in {result.model_path}")
    else:
        print(
            f"promotion gate FAILED ({'; '.join(result.gate.violations)}): "
            f"model stored as a candidate in {result.model_path}"
        )
    if result.audit_path is not None:
        print(f"audit: {result.audit_path} (Merkle root {result.audit_root})")
    if result.drift is not None:
        state = "drift detected" if result.drift.has_drift else "no drift"
        print(
            f"drift: {state} across {len(result.drift.cohorts)} cohort(s); "
            f"report {result.drift_report_path}"
        )
        for note in result.drift.recommendations:
            print(f"  - {note}")


def _print_performance(result: TrainingResult) -> None:
    from perfcore.training.phase_report import format_phase_table

    perf = result.performance
    if perf is None:
        return
    print()
    print(format_phase_table(perf.phases, perf.run_wall_s))
    opt = perf.optimisation
    if perf.baseline_recorded:
        print(
            f"baseline: none stored for this model and dataset; recorded this run "
            f"({opt.baseline_total_s * 1e3:.2f} ms over the phases)"
        )
    else:
        print(
            f"baseline {opt.baseline_total_s * 1e3:.2f} ms -> current "
            f"{opt.current_total_s * 1e3:.2f} ms: reduction {opt.reduction_pct:.1f}% "
            f"(target {opt.target_reduction_pct:.1f}%, "
            f"{'met' if opt.meeting_target else 'not met'})"
        )
    print("suggestions:")
    for note in perf.suggestions:
        print(f"  - {note}")
    results_path = _write_phase_results(result)
    print(f"report: {perf.report_path}; phase results: {results_path}")


def _write_phase_results(result: TrainingResult) -> Path:
    """The phase timings as a perfcore results file next to the report."""
    from perfcore.results.environment import new_run_info
    from perfcore.results.model import Result, ResultSet

    model = result.config.model_type
    params = {"model_type": model, "dataset": result.dataset}
    results = [
        Result(
            id=f"training.{model}.{p.name}",
            unit="s",
            better="lower",
            samples=(p.wall_s,),
            params={**params, "tier": p.tier},
            extra={"cpu_s": p.cpu_s, "calls": p.calls},
        )
        for p in result.phases
    ]
    results.append(
        Result(
            id=f"training.{model}.total",
            unit="s",
            better="lower",
            samples=(result.run_wall_s,),
            params=params,
        )
    )
    path = result.config.output_dir / PHASE_RESULTS_FILE
    ResultSet(run=new_run_info(), results=tuple(results)).save(path)
    return path


def _run(args: argparse.Namespace) -> int:
    from perfcore.training import train

    result = train(_config(args))
    for note in result.notes:
        print(f"perfcore: note: {note}", file=sys.stderr)
    _print_result(result)
    _publish(result, args.model_store)
    _print_performance(result)
    return 1 if args.fail_on_gate and not result.gate.passed else 0


def _publish(result: TrainingResult, flag: Path | None) -> None:
    """A model that passed the gate becomes the next version and current in the model store."""
    from perfcore.retraining.publish import publish

    store = open_store(flag)
    stored = publish(store, result)
    if stored is not None:
        print(f"model store: version {stored.version} is current in {store.root}")
