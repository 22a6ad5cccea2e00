"""The noise files of a machine: what ``perfcore calibrate`` and ``gate --against`` learn.

Both live beside the machine's baseline and are read by the gate.

**Between-run noise** (``perfcore calibrate``),
``reports/baselines/<machine-id>/noise.json``::

    {"schema": "perfcore.noise/1", "machine": "<id>", "created": "<ISO-8601>",
     "benchmarks": {"<result id>": {"cv_within": 0.05, "sd_between_log": 0.02, "runs": 15}}}

Schema history: ``perfcore.noise/1`` -- first version. ``sd_between_log`` is the
standard deviation of the natural log of each run's median across no-change runs;
``cv_within`` the median within-run coefficient of variation. Unknown keys are errors.

**Paired-round noise** (``perfcore gate --against``),
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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from perfcore._atomic import atomic_write_json
from perfcore._jsonio import read_json_file
from perfcore._names import safe_name
from perfcore.errors import SchemaError

__all__ = [
    "INTERLEAVE_MODES",
    "NOISE_SCHEMA",
    "PAIRED_NOISE_SCHEMA",
    "BenchmarkNoise",
    "NoiseModel",
    "PairedNoise",
    "load_noise",
    "load_paired_noise",
    "noise_path",
    "paired_noise_path",
    "parse_noise",
    "save_noise",
    "save_paired_noise",
]

NOISE_SCHEMA = "perfcore.noise/1"


class NoiseEstimateLike(Protocol):
    """What a noise file keeps of one estimate (perfcore.analysis.noise.NoiseEstimate;
    named by shape, since results/ sits below analysis/ and never imports it)."""

    @property
    def result_id(self) -> str: ...
    @property
    def cv_within(self) -> float: ...
    @property
    def sd_between_log(self) -> float: ...
    @property
    def runs(self) -> int: ...


@dataclass(frozen=True)
class BenchmarkNoise:
    """One benchmark's calibrated noise."""

    cv_within: float
    sd_between_log: float
    runs: int


@dataclass(frozen=True)
class NoiseModel:
    """A machine's calibrated noise, per result id."""

    machine: str
    created: str
    benchmarks: Mapping[str, BenchmarkNoise]

    def between_run_sd(self) -> dict[str, float]:
        """The mapping ``compare_suites(between_run_sd=...)`` takes."""
        return {rid: b.sd_between_log for rid, b in self.benchmarks.items()}

    def between_run_df(self) -> dict[str, float]:
        """Degrees of freedom of each SD (runs - 1): ``compare_suites(between_run_df=...)``."""
        return {rid: float(max(b.runs - 1, 1)) for rid, b in self.benchmarks.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, schema tag first."""
        return {
            "schema": NOISE_SCHEMA,
            "machine": self.machine,
            "created": self.created,
            "benchmarks": {
                rid: {"cv_within": b.cv_within, "sd_between_log": b.sd_between_log, "runs": b.runs}
                for rid, b in sorted(self.benchmarks.items())
            },
        }

    @classmethod
    def from_estimates(
        cls, machine: str, created: str, estimates: Iterable[NoiseEstimateLike]
    ) -> NoiseModel:
        """Build from :func:`perfcore.analysis.noise.estimate_suite`'s output."""
        return cls(
            machine=machine,
            created=created,
            benchmarks={
                e.result_id: BenchmarkNoise(e.cv_within, e.sd_between_log, e.runs)
                for e in estimates
            },
        )


def noise_path(baselines_dir: Path, machine_id: str) -> Path:
    """Where a machine's noise file lives."""
    return baselines_dir / safe_name(machine_id, "machine id") / "noise.json"


def _number(what: str, key: str, value: Any) -> float:
    # ``what``: whose number it is, for the error ("noise of <id>").
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise SchemaError(f"{what}: {key} must be a non-negative number")
    return float(value)


def _benchmark(rid: str, data: Any) -> BenchmarkNoise:
    keys = {"cv_within", "sd_between_log", "runs"}
    if not isinstance(data, Mapping) or set(data) != keys:
        raise SchemaError(f"noise of {rid}: expected exactly the keys {', '.join(sorted(keys))}")
    runs = data["runs"]
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise SchemaError(f"noise of {rid}: runs must be an integer >= 2")
    return BenchmarkNoise(
        _number(f"noise of {rid}", "cv_within", data["cv_within"]),
        _number(f"noise of {rid}", "sd_between_log", data["sd_between_log"]),
        runs,
    )


def parse_noise(data: Any) -> NoiseModel:
    """Validate a parsed noise document."""
    if not isinstance(data, dict) or data.get("schema") != NOISE_SCHEMA:
        raise SchemaError(f"not a {NOISE_SCHEMA} document")
    if set(data) != {"schema", "machine", "created", "benchmarks"}:
        raise SchemaError("noise document: expected keys schema, machine, created, benchmarks")
    if not isinstance(data["benchmarks"], dict):
        raise SchemaError("noise document: benchmarks must be an object")
    return NoiseModel(
        machine=str(data["machine"]),
        created=str(data["created"]),
        benchmarks={rid: _benchmark(rid, b) for rid, b in data["benchmarks"].items()},
    )


def load_noise(path: str | Path) -> NoiseModel:
    """Read a noise file with a one-line error for any problem."""
    target = Path(path)
    data = read_json_file(target)
    try:
        return parse_noise(data)
    except SchemaError as exc:
        raise SchemaError(f"{target}: {exc}") from None


def save_noise(path: str | Path, model: NoiseModel) -> None:
    """Write a noise file atomically."""
    atomic_write_json(path, model.to_dict())


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
    what = f"paired noise of {rid}"
    return _number(what, "var", data["var"]), _number(what, "df", data["df"])


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
