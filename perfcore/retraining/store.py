"""The versioned model store that train, serve, load and retraining share.

Layout under the store root (``models/`` by default)::

    versions/1.0.0/<model_type>.skops   the model (skops, perfcore's trusted types only)
    versions/1.0.0/<model_type>.json    its metadata, with "version" and "stored"
    current -> versions/1.2.0           a symlink; the servers load <root>/current
    log.json                            promotions and rollbacks, newest last (bounded)
    cost-ledger.json                    retraining spending this month (retraining/ledger.py)

A version directory is complete before it appears (built in a hidden staging
directory, then renamed), and ``current`` is replaced by renaming a new symlink
over it, so a server that reloads sees the old model or the new one, never half.
A ``current`` that is a plain directory (written by an older perfcore) is taken
into ``versions/`` on the first change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_write_json
from perfcore.errors import InputError
from perfcore.retraining.ledger import LEDGER_NAME
from perfcore.retraining.settings import RetrainingSettings

__all__ = ["ModelStore", "StoredVersion", "parse_version"]

_VERSION = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")
_LOG_LIMIT = 1000
Clock = Callable[[], float]


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.2.3"`` as (1, 2, 3); anything else (a path, a name) is an InputError."""
    match = _VERSION.match(text)
    if match is None:
        raise InputError(f"not a version (MAJOR.MINOR.PATCH): {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


@dataclass(frozen=True)
class StoredVersion:
    """One version in the store and its metadata."""

    version: str
    path: Path
    metadata: dict[str, Any]

    @property
    def model_file(self) -> Path:
        """The .skops file of this version."""
        return self.path / str(self.metadata.get("model_file", ""))

    @property
    def stored(self) -> float:
        """When the version entered the store (seconds since the epoch)."""
        return float(self.metadata.get("stored", 0.0))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable metadata: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: metadata is not a JSON object")
    return data


class ModelStore:
    """Versions, the current pointer, retention, promotion and rollback."""

    def __init__(
        self, root: Path, settings: RetrainingSettings | None = None, clock: Clock = time.time
    ) -> None:
        self.root = root
        self.settings = settings or RetrainingSettings()
        self.clock = clock

    @property
    def current_path(self) -> Path:
        """The path servers load: ``<root>/current``."""
        return self.root / "current"

    @property
    def ledger_path(self) -> Path:
        """The cost ledger every retraining run books into: ``<root>/cost-ledger.json``."""
        return self.root / LEDGER_NAME

    def _version_dir(self, version: str) -> Path:
        parse_version(version)
        return self.root / "versions" / version

    def get(self, version: str) -> StoredVersion:
        """One version; an InputError when it is not in the store."""
        folder = self._version_dir(version)
        metas = sorted(folder.glob("*.json"))
        if not metas:
            raise InputError(f"version {version} is not in the store {self.root}")
        return StoredVersion(version, folder, _read_json(metas[0]))

    def versions(self) -> list[StoredVersion]:
        """Every stored version, oldest (lowest) first."""
        folder = self.root / "versions"
        names = (
            [p.name for p in folder.iterdir() if _VERSION.match(p.name)] if folder.is_dir() else []
        )
        return [self.get(name) for name in sorted(names, key=parse_version)]

    def current(self) -> str | None:
        """The version ``current`` points at (None: no model, or an unversioned directory)."""
        link = self.current_path
        if not link.is_symlink():
            return None
        name = Path(os.readlink(link)).name
        return name if _VERSION.match(name) else None

    def next_version(self, metadata: dict[str, Any]) -> str:
        """Major on a new feature count, minor on a new model type, patch otherwise."""
        existing = self.versions()
        if not existing:
            return "1.0.0"
        last = existing[-1]
        major, minor, patch = parse_version(last.version)
        features = (metadata.get("dataset") or {}).get("features")
        if features != (last.metadata.get("dataset") or {}).get("features"):
            return f"{major + 1}.0.0"
        if metadata.get("model_type") != last.metadata.get("model_type"):
            return f"{major}.{minor + 1}.0"
        return f"{major}.{minor}.{patch + 1}"

    def add(self, model_file: Path, metadata_file: Path, *, note: str = "") -> StoredVersion:
        """Copy a persisted model and its metadata in as the next version (not promoted)."""
        self._adopt_plain_current()
        metadata = _read_json(metadata_file)
        version = self.next_version(metadata)
        metadata |= {"version": version, "stored": self.clock(), "note": note}
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=versions))
        try:
            shutil.copy2(model_file, staging / model_file.name)
            atomic_write_json(staging / metadata_file.name, metadata)
            os.rename(staging, versions / version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.get(version)

    def promote(self, version: str, *, action: str = "promote", reason: str = "") -> None:
        """Point ``current`` at ``version`` (atomically) and log it."""
        target = self.get(version)
        self._adopt_plain_current()
        previous = self.current()
        tmp = self.root / f".current-{os.getpid()}-{time.monotonic_ns()}"
        os.symlink(Path("versions") / target.version, tmp)
        try:
            os.replace(tmp, self.current_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._log(
            {
                "action": action,
                "version": version,
                "previous": previous,
                "at": self.clock(),
                "reason": reason,
            }
        )

    def rollback(self, version: str, *, reason: str = "manual") -> None:
        """Make an earlier (or any stored) version current again."""
        self.promote(version, action="rollback", reason=reason)

    def log(self) -> list[dict[str, Any]]:
        """Promotions and rollbacks, oldest first."""
        path = self.root / "log.json"
        if not path.exists():
            return []
        entries = _read_json(path).get("entries", [])
        return entries if isinstance(entries, list) else []

    def _log(self, entry: dict[str, Any]) -> None:
        entries = [*self.log(), entry][-_LOG_LIMIT:]
        atomic_write_json(
            self.root / "log.json", {"schema": "perfcore.model-log/1", "entries": entries}
        )

    def apply_retention(self) -> list[str]:
        """Delete versions beyond max_versions or older than max_age_days; returns them.

        The current version and the one it replaced (the rollback target) are kept.
        """
        keep = {self.current()} | {e.get("previous") for e in self.log()[-1:]}
        all_versions = self.versions()
        limit = self.clock() - self.settings.max_age_days * 86_400
        removable = [v for v in all_versions if v.version not in keep]
        excess = max(0, len(all_versions) - self.settings.max_versions)
        doomed = {v.version for v in removable[:excess]}
        doomed |= {v.version for v in removable if v.stored < limit}
        for name in sorted(doomed, key=parse_version):
            shutil.rmtree(self._version_dir(name))
        return sorted(doomed, key=parse_version)

    def _adopt_plain_current(self) -> None:
        # An older perfcore wrote a plain models/current/ directory: make it version 1.0.0+.
        plain = self.current_path
        if plain.is_symlink() or not plain.is_dir():
            return
        metas = sorted(plain.glob("*.json"))
        if not metas or not any(plain.glob("*.skops")):
            raise InputError(f"{plain}: a directory without a model and its metadata")
        metadata = _read_json(metas[0])
        version = self.next_version(metadata)
        metadata |= {"version": version, "stored": self.clock(), "note": "adopted"}
        atomic_write_json(metas[0], metadata)
        (self.root / "versions").mkdir(parents=True, exist_ok=True)
        os.rename(plain, self.root / "versions" / version)
        self.promote(version, action="adopt", reason="plain current directory")
