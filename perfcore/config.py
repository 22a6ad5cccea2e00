"""Typed settings read from ``[tool.perfcore]`` in pyproject.toml.

Unknown keys are errors, not silently ignored: a misspelt threshold that is
dropped quietly would make the gate judge with the wrong number.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from perfcore.errors import ConfigError

__all__ = ["Settings", "find_project_root", "load_settings", "positive_int"]


@dataclass(frozen=True)
class Settings:
    """perfcore's settings; every field has a sensible default."""

    threshold: float = 0.05
    alpha: float = 0.01
    thresholds: Mapping[str, float] = field(default_factory=dict)
    baselines_dir: Path = Path("reports/baselines")
    claims_file: Path = Path("reports/claims.toml")
    output_dir: Path = Path("reports/latest")
    # The one model store that train, serve, load and retraining share (docs/retraining.md).
    model_store: Path = Path("models")
    # [tool.perfcore.retraining], validated by perfcore.retraining.RetrainingSettings.
    retraining: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Any] = field(default_factory=dict)  # perfcore.optimisation.profiles
    root: Path = Path()

    def __post_init__(self) -> None:
        if not 0 <= self.threshold < 10:
            raise ConfigError(f"threshold must be a fraction such as 0.05, got {self.threshold}")
        if not 0 < self.alpha < 1:
            raise ConfigError(f"alpha must lie in (0, 1), got {self.alpha}")
        if not isinstance(self.retraining, Mapping):
            raise ConfigError("[tool.perfcore.retraining] must be a table")
        for pattern, value in self.thresholds.items():
            if not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"threshold for {pattern!r} must be a non-negative number")

    def threshold_for(self, result_id: str) -> float:
        """The regression threshold for one result: the most specific matching pattern wins."""
        matches = [p for p in self.thresholds if fnmatch.fnmatchcase(result_id, p)]
        if not matches:
            return self.threshold
        return float(self.thresholds[max(matches, key=len)])

    def resolve(self, path: Path) -> Path:
        """A configured path made absolute against the project root."""
        return path if path.is_absolute() else self.root / path


_PATH_KEYS = {"baselines_dir", "claims_file", "output_dir", "model_store"}


def positive_int(text: str) -> int:
    """``text`` as a whole number of at least 1; ValueError saying what is wrong."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise ValueError(f"must be at least 1, got {value}")
    return value


def find_project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding a pyproject.toml (else ``start``)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return here


def load_settings(root: Path | None = None, **overrides: Any) -> Settings:
    """Read ``[tool.perfcore]`` from the project's pyproject.toml, then apply ``overrides``."""
    project = find_project_root(root)
    raw: dict[str, Any] = {}
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{pyproject}: not valid TOML: {exc}") from None
        raw = dict(data.get("tool", {}).get("perfcore", {}))
    known = {f.name for f in fields(Settings)} - {"root"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"[tool.perfcore]: unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {k: Path(v) if k in _PATH_KEYS else v for k, v in raw.items()}
    settings = Settings(root=project, **values)
    clean = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **clean) if clean else settings
