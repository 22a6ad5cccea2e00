"""Datasets for the training pipeline: scikit-learn's own, a CSV file, or synthetic.

``--dataset`` is resolved in this order:

1. a path to an existing file, or any name ending in ``.csv``: a CSV with a header
   row; the label is the column named ``label`` (or ``target``, ``class``, ``y``),
   else the last column; every other column must be numeric;
2. a dataset that ships inside scikit-learn (``breast_cancer``, ``iris``, ``wine``,
   ``digits``); the multi-class ones become "class 0 vs the rest", and say so;
3. a scikit-learn dataset that is downloaded on first use (``covtype``); perfcore never
   downloads, so when it is not cached the run falls back to synthetic data and says so;
4. ``synthetic``: ``make_classification`` with ``num_samples`` rows (default 1000).

The models are binary classifiers, so a label must have exactly two classes.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from perfcore.errors import InputError

__all__ = [
    "BUILTIN_DATASETS",
    "DEFAULT_SYNTHETIC_SAMPLES",
    "Dataset",
    "DatasetError",
    "load_dataset",
]

log = logging.getLogger("perfcore.training")

BUILTIN_DATASETS = ("breast_cancer", "iris", "wine", "digits")
_FETCHED_DATASETS = ("covtype",)
DEFAULT_SYNTHETIC_SAMPLES = 1000
_LABEL_NAMES = ("label", "target", "class", "y")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class DatasetError(InputError):
    """A dataset cannot be used: missing or malformed file, bad features or labels."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (n x d, float), binary labels ``y`` (0/1) and where they came from."""

    name: str
    source: str  # "sklearn", "csv" or "synthetic"
    X: FloatArray
    y: IntArray
    feature_names: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the name, feature names, features and labels."""
        digest = hashlib.sha256()
        digest.update(self.name.encode())
        digest.update("\x00".join(self.feature_names).encode())
        digest.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(self.y, dtype=np.int64).tobytes())
        return digest.hexdigest()


def _binary_labels(raw: npt.NDArray[np.generic], where: str) -> IntArray:
    classes = np.unique(raw)
    if classes.size < 2:
        raise DatasetError(
            f"{where}: the label has a single class ({classes[0]!r}); training needs two"
        )
    if classes.size > 2:
        raise DatasetError(
            f"{where}: the label has {classes.size} classes; the models are binary classifiers"
        )
    return np.asarray(raw == classes[1], dtype=np.int64)


def _subsample(X: FloatArray, y: IntArray, n: int | None, seed: int) -> tuple[FloatArray, IntArray]:
    if n is None or n >= len(y):
        return X, y
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(y), size=n, replace=False))
    return X[keep], y[keep]


def _synthetic(num_samples: int | None, seed: int, notes: tuple[str, ...] = ()) -> Dataset:
    from sklearn.datasets import make_classification

    n = num_samples or DEFAULT_SYNTHETIC_SAMPLES
    if n < 20:
        raise DatasetError(f"synthetic data needs at least 20 samples, got {n}")
    X, y = make_classification(
        n_samples=n,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        class_sep=1.5,
        flip_y=0.01,
        random_state=seed,
    )
    names = tuple(f"f{i}" for i in range(X.shape[1]))
    return Dataset("synthetic", "synthetic", X.astype(np.float64), y.astype(np.int64), names, notes)


def _builtin(name: str, num_samples: int | None, seed: int) -> Dataset:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    X = np.asarray(bunch.data, dtype=np.float64)
    target = np.asarray(bunch.target)
    notes: tuple[str, ...] = ()
    if np.unique(target).size > 2:
        notes = (f"{name}: {np.unique(target).size} classes reduced to class 0 vs the rest",)
        target = (target != 0).astype(np.int64)
    y = _binary_labels(target, name)
    X, y = _subsample(X, y, num_samples, seed)
    names = tuple(str(f) for f in getattr(bunch, "feature_names", range(X.shape[1])))
    return Dataset(name, "sklearn", X, y, names, notes)


def _fetched(name: str, num_samples: int | None, seed: int) -> Dataset:
    from sklearn import datasets

    try:
        bunch = getattr(datasets, f"fetch_{name}")(download_if_missing=False)
    except OSError:
        note = (
            f"dataset {name!r} is not available offline; "
            "falling back to synthetic data (make_classification)"
        )
        log.warning(note)
        return _synthetic(num_samples, seed, (note,))
    target = (np.asarray(bunch.target) == np.bincount(bunch.target).argmax()).astype(np.int64)
    X, y = _subsample(np.asarray(bunch.data, dtype=np.float64), target, num_samples, seed)
    note = f"{name}: reduced to the most frequent class vs the rest"
    return Dataset(name, "sklearn", X, y, tuple(f"f{i}" for i in range(X.shape[1])), (note,))


def _read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row and any(c.strip() for c in row)]
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such CSV file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot read CSV: {exc}") from None
    if len(rows) < 2:
        raise DatasetError(f"{path}: CSV needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    if len(header) < 2:
        raise DatasetError(f"{path}: CSV needs at least one feature column and a label column")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DatasetError(
                f"{path}: line {number} has {len(row)} fields, the header has {len(header)}"
            )
    return header, rows[1:]


def _label_index(header: list[str]) -> int:
    lowered = [h.lower() for h in header]
    for name in _LABEL_NAMES:
        if name in lowered:
            return lowered.index(name)
    return len(header) - 1


def _load_csv(path: Path, num_samples: int | None, seed: int) -> Dataset:
    header, rows = _read_csv_rows(path)
    label = _label_index(header)
    features = [i for i in range(len(header)) if i != label]
    X = np.empty((len(rows), len(features)), dtype=np.float64)
    for r, row in enumerate(rows):
        for c, i in enumerate(features):
            try:
                X[r, c] = float(row[i])
            except ValueError:
                raise DatasetError(
                    f"{path}: line {r + 2}, column {header[i]!r}: "
                    f"non-numeric feature value {row[i]!r}"
                ) from None
    if not np.isfinite(X).all():
        raise DatasetError(f"{path}: features contain NaN or infinite values")
    y = _binary_labels(np.array([row[label].strip() for row in rows]), str(path))
    X, y = _subsample(X, y, num_samples, seed)
    return Dataset(path.stem, "csv", X, y, tuple(header[i] for i in features))


def load_dataset(name: str, num_samples: int | None = None, seed: int = 0) -> Dataset:
    """Resolve ``name`` (see the module docstring) and load at most ``num_samples`` rows."""
    if num_samples is not None and num_samples <= 0:
        raise DatasetError(f"--num-samples must be positive, got {num_samples}")
    path = Path(name)
    if name.lower().endswith(".csv") or path.is_file():
        return _load_csv(path, num_samples, seed)
    if name == "synthetic":
        return _synthetic(num_samples, seed)
    if name in BUILTIN_DATASETS:
        return _builtin(name, num_samples, seed)
    if name in _FETCHED_DATASETS:
        return _fetched(name, num_samples, seed)
    known = ", ".join((*BUILTIN_DATASETS, *_FETCHED_DATASETS, "synthetic"))
    raise DatasetError(f"unknown dataset {name!r}: not a file; known datasets: {known}")
