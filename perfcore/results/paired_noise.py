"""What ``perfcore gate --against`` learns about a machine: the noise of paired rounds.

``reports/baselines/<machine-id>/paired-noise.json`` (rounds taken in turns, the
default) or ``paired-noise-runs.json`` (whole runs alternating)::

    {"schema": "perfcore.paired-noise/1", "machine": "<id>", "updated": "<ISO-8601>",
     "benchmarks": {"<result id>": {"var": 0.0004, "df": 36.0}}}

``var`` is the pooled variance of one benchmark's per-round differences of log
medians (working tree minus REF, each round's two runs in turns or back to back) and ``df`` its
degrees of freedom: every gate run adds its rounds less one. A real regression shifts
the differences but leaves their spread alone, so every gate run teaches the file,
whatever its verdict. Pooling is :func:`perfcore.analysis.noise.pool_spread` (at most
``MAX_POOLED_DF`` degrees of freedom, so the prior follows a machine that changes).

Schema history: ``perfcore.paired-noise/1`` -- first version. Unknown keys are errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore._jsonio import read_json_file
from perfcore._names import safe_name
from perfcore.errors import SchemaError

__all__ = [
    "INTERLEAVE_MODES",
    "PAIRED_NOISE_SCHEMA",
    "PairedNoise",
    "load_paired_noise",
    "paired_noise_path",
    "save_paired_noise",
]

PAIRED_NOISE_SCHEMA = "perfcore.paired-noise/1"
INTERLEAVE_MODES = ("rounds", "runs")


@dataclass(frozen=True)
class PairedNoise:
    """Per result id, the pooled (variance, df) of per-round log differences."""

    machine: str
    updated: str = ""
    benchmarks: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, schema tag first."""
        return {
            "schema": PAIRED_NOISE_SCHEMA,
            "machine": self.machine,
            "updated": self.updated,
            "benchmarks": {
                rid: {"var": v, "df": d} for rid, (v, d) in sorted(self.benchmarks.items())
            },
        }


def paired_noise_path(baselines_dir: Path, machine_id: str, interleave: str = "rounds") -> Path:
    """Where a machine's paired-round noise lives, one file per way of interleaving.

    Rounds taken in turns (``rounds``) and whole alternating runs (``runs``) differ in
    spread, so each learns its own pool: ``paired-noise.json`` and
    ``paired-noise-runs.json``.
    """
    if interleave not in INTERLEAVE_MODES:
        raise ValueError(f"unknown interleave mode {interleave!r}")
    name = "paired-noise.json" if interleave == "rounds" else f"paired-noise-{interleave}.json"
    return baselines_dir / safe_name(machine_id, "machine id") / name


def _entry(rid: str, data: Any) -> tuple[float, float]:
    if not isinstance(data, Mapping) or set(data) != {"var", "df"}:
        raise SchemaError(f"paired noise of {rid}: expected exactly the keys df, var")
    values = []
    for key in ("var", "df"):
        value = data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            raise SchemaError(f"paired noise of {rid}: {key} must be a non-negative number")
        values.append(float(value))
    return values[0], values[1]


def load_paired_noise(path: str | Path, machine: str) -> PairedNoise:
    """Read the file, or an empty pool for ``machine`` when there is none yet."""
    target = Path(path)
    if not target.exists():
        return PairedNoise(machine)
    data = read_json_file(target)
    if not isinstance(data, dict) or data.get("schema") != PAIRED_NOISE_SCHEMA:
        raise SchemaError(f"{target}: not a {PAIRED_NOISE_SCHEMA} document")
    if set(data) != {"schema", "machine", "updated", "benchmarks"} or not isinstance(
        data["benchmarks"], dict
    ):
        raise SchemaError(f"{target}: expected keys schema, machine, updated, benchmarks")
    if data["machine"] != machine:
        raise SchemaError(f"{target}: learnt on machine {data['machine']}, this is {machine}")
    try:
        benchmarks = {rid: _entry(rid, b) for rid, b in data["benchmarks"].items()}
    except SchemaError as exc:
        raise SchemaError(f"{target}: {exc}") from None
    return PairedNoise(machine, str(data["updated"]), benchmarks)


def save_paired_noise(path: str | Path, model: PairedNoise) -> None:
    """Write the file atomically."""
    atomic_write_json(path, model.to_dict())
