"""Shared fixtures of the training tests: small datasets and a fast config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from perfcore.training import TrainingConfig


@pytest.fixture
def small_config(tmp_path: Path) -> TrainingConfig:
    """A config that trains in well under a second: 200 rows of breast_cancer, 3 epochs."""
    return TrainingConfig(
        model_type="logistic",
        dataset="breast_cancer",
        num_samples=200,
        epochs=3,
        batch_size=32,
        seed=7,
        output_dir=tmp_path / "out",
    )


def _write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def write_csv() -> Callable[[Path, str, list[str]], Path]:
    """A function writing a small CSV file (header, rows) and returning its path."""
    return _write_csv


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def all_files() -> Callable[[Path], list[Path]]:
    """A function listing every regular file under a directory (empty if it is missing)."""
    return _all_files
