"""The one result model every reader produces and every judge consumes.

Schema history (one migration per version step, applied in order on load):

* ``perfcore.results/1`` -- first version: run metadata (created, machine, commit,
  source) and a list of results, each with raw samples kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from perfcore._atomic import atomic_write_json
from perfcore._jsonio import read_json_file
from perfcore.errors import SchemaError

__all__ = [
    "SCHEMA",
    "Better",
    "Commit",
    "Machine",
    "Result",
    "ResultSet",
    "RunInfo",
    "load_results",
]

SCHEMA = "perfcore.results/1"
Better = Literal["lower", "higher"]
Source = Literal["pytest-benchmark", "asv", "locust", "perfcore"]
_SOURCES = ("pytest-benchmark", "asv", "locust", "perfcore")

# version tag -> function turning a document of that version into the next version.
_MIGRATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _strict_keys(
    kind: str, data: Mapping[str, Any], required: set[str], optional: set[str]
) -> None:
    if not isinstance(data, Mapping):
        raise SchemaError(f"{kind}: expected an object, got {type(data).__name__}")
    missing = required - set(data)
    unknown = set(data) - required - optional
    if missing:
        raise SchemaError(f"{kind}: missing key(s) {', '.join(sorted(missing))}")
    if unknown:
        raise SchemaError(f"{kind}: unknown key(s) {', '.join(sorted(unknown))}")


def _count(key: str, value: Any) -> int:
    # int("two") raised ValueError and int(1e400) OverflowError: both escaped as tracebacks.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(f"run.machine.{key} must be a non-negative integer, got {value!r:.40}")
    return value


def _sample(rid: object, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"result {rid!s:.80}: samples must be numbers, got {value!r:.40}")
    try:
        return float(value)
    except OverflowError:  # an integer literal beyond the float range
        raise SchemaError(f"result {rid!s:.80}: sample out of range") from None


def _mapping(kind: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"{kind}: expected an object, got {type(value).__name__}")
    return dict(value)


@dataclass(frozen=True)
class _Record:
    """A frozen record whose JSON form is its fields, in order (records inside as objects)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Machine(_Record):
    """The identity of the machine a run was measured on."""

    id: str
    cpu: str
    cores: int
    ram_bytes: int
    os: str
    python: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Machine:
        """Build from a JSON object; unknown keys are errors."""
        keys = {"id", "cpu", "cores", "ram_bytes", "os", "python"}
        _strict_keys("run.machine", data, keys, set())
        return cls(
            id=str(data["id"]),
            cpu=str(data["cpu"]),
            cores=_count("cores", data["cores"]),
            ram_bytes=_count("ram_bytes", data["ram_bytes"]),
            os=str(data["os"]),
            python=str(data["python"]),
        )


@dataclass(frozen=True)
class Commit(_Record):
    """The source revision a run measured (``id`` is empty outside a git checkout)."""

    id: str = ""
    branch: str = ""
    dirty: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Commit:
        """Build from a JSON object; unknown keys are errors."""
        _strict_keys("run.commit", data, {"id"}, {"branch", "dirty"})
        return cls(
            id=str(data["id"]),
            branch=str(data.get("branch", "")),
            dirty=bool(data.get("dirty", False)),
        )


@dataclass(frozen=True)
class RunInfo(_Record):
    """Where, when and from what a set of results was measured."""

    created: str
    machine: Machine
    commit: Commit = field(default_factory=Commit)
    source: Source = "perfcore"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunInfo:
        """Build from a JSON object; unknown keys are errors."""
        _strict_keys("run", data, {"created", "machine", "source"}, {"commit"})
        source = data["source"]
        if source not in _SOURCES:
            raise SchemaError(f"run.source: unknown source {source!r}")
        return cls(
            created=str(data["created"]),
            machine=Machine.from_dict(data["machine"]),
            commit=Commit.from_dict(data.get("commit", {"id": ""})),
            source=source,
        )


@dataclass(frozen=True)
class Result:
    """One measured quantity with its raw samples (statistics need them)."""

    id: str
    unit: str
    better: Better
    samples: tuple[float, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            raise SchemaError("result: empty id")
        if self.better not in ("lower", "higher"):
            raise SchemaError(f"result {self.id}: better must be 'lower' or 'higher'")
        if any(not math.isfinite(s) for s in self.samples):
            raise SchemaError(f"result {self.id}: samples must be finite numbers")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Build from a JSON object; unknown keys are errors."""
        _strict_keys("result", data, {"id", "unit", "better", "samples"}, {"params", "extra"})
        samples, rid = data["samples"], data["id"]
        if not isinstance(rid, str) or not isinstance(data["unit"], str):
            raise SchemaError(f"result {rid!r:.80}: id and unit must be strings")
        if not isinstance(samples, list):
            raise SchemaError(f"result {rid:.80}: samples must be a list of numbers")
        return cls(
            id=rid,
            unit=data["unit"],
            better=data["better"],
            samples=tuple(_sample(rid, s) for s in samples),
            params=_mapping(f"result {rid:.80}: params", data.get("params", {})),
            extra=_mapping(f"result {rid:.80}: extra", data.get("extra", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "unit": self.unit,
            "better": self.better,
            "samples": list(self.samples),
            "params": dict(self.params),
            "extra": dict(self.extra),
        }


@dataclass(frozen=True)
class ResultSet:
    """One run: its metadata and its results, as stored in one JSON document."""

    run: RunInfo
    results: tuple[Result, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for result in self.results:
            if result.id in seen:
                raise SchemaError(f"duplicate result id {result.id!r}")
            seen.add(result.id)

    def only(self, ids: set[str] | frozenset[str]) -> ResultSet:
        """The same run with only the results whose id is in ``ids``."""
        return ResultSet(run=self.run, results=tuple(r for r in self.results if r.id in ids))

    def by_id(self) -> dict[str, Result]:
        """Results keyed by id."""
        return {r.id: r for r in self.results}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, schema tag first."""
        return {
            "schema": SCHEMA,
            "run": self.run.to_dict(),
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ResultSet:
        """Build from a parsed document, migrating older schema versions first."""
        if not isinstance(data, dict) or "schema" not in data:
            raise SchemaError("not a perfcore results document (no 'schema' key)")
        data = _migrate(data)
        _strict_keys("document", data, {"schema", "run", "results"}, set())
        if not isinstance(data["results"], list):
            raise SchemaError("results: expected a list")
        return cls(
            run=RunInfo.from_dict(data["run"]),
            results=tuple(Result.from_dict(r) for r in data["results"]),
        )

    def save(self, path: str | Path) -> None:
        """Write atomically as JSON."""
        atomic_write_json(path, self.to_dict())

    def merged(self, others: Iterable[ResultSet]) -> ResultSet:
        """This run's metadata with the results of ``others`` appended."""
        results = list(self.results)
        for other in others:
            results.extend(other.results)
        return ResultSet(run=self.run, results=tuple(results))


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("schema")
    while version != SCHEMA:
        step = _MIGRATIONS.get(str(version))
        if step is None:
            raise SchemaError(f"unknown schema {version!r} (this perfcore reads {SCHEMA})")
        data = step(data)
        version = data.get("schema")
    return data


def load_results(path: str | Path) -> ResultSet:
    """Read one perfcore results file, with a one-line error for any problem."""
    target = Path(path)
    data = read_json_file(target)
    try:
        return ResultSet.from_dict(data)
    except SchemaError as exc:
        raise SchemaError(f"{target}: {exc}") from None


def utc_now_iso() -> str:
    """The current time as ISO-8601 UTC, second resolution."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
