"""The noise file ``perfcore calibrate`` writes and the gate reads.

``reports/baselines/<machine-id>/noise.json``::

    {"schema": "perfcore.noise/1", "machine": "<id>", "created": "<ISO-8601>",
     "benchmarks": {"<result id>": {"cv_within": 0.05, "sd_between_log": 0.02, "runs": 15}}}

Schema history: ``perfcore.noise/1`` -- first version. ``sd_between_log`` is the
standard deviation of the natural log of each run's median across no-change runs;
``cv_within`` the median within-run coefficient of variation. Unknown keys are errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from perfcore._atomic import atomic_write_json
from perfcore._jsonio import read_json_file
from perfcore._names import safe_name
from perfcore.errors import SchemaError

__all__ = [
    "NOISE_SCHEMA",
    "BenchmarkNoise",
    "NoiseModel",
    "load_noise",
    "noise_path",
    "parse_noise",
    "save_noise",
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


def _number(rid: str, key: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise SchemaError(f"noise of {rid}: {key} must be a non-negative number")
    return float(value)


def _benchmark(rid: str, data: Any) -> BenchmarkNoise:
    keys = {"cv_within", "sd_between_log", "runs"}
    if not isinstance(data, Mapping) or set(data) != keys:
        raise SchemaError(f"noise of {rid}: expected exactly the keys {', '.join(sorted(keys))}")
    runs = data["runs"]
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 2:
        raise SchemaError(f"noise of {rid}: runs must be an integer >= 2")
    return BenchmarkNoise(
        _number(rid, "cv_within", data["cv_within"]),
        _number(rid, "sd_between_log", data["sd_between_log"]),
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
