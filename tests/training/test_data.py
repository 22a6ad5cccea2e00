"""Dataset resolution: built-ins, CSV files, synthetic data and the fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from perfcore.training.data import DatasetError, load_dataset


def test_breast_cancer_is_binary_and_subsampled() -> None:
    """breast_cancer loads with two classes and num_samples limits the rows."""
    data = load_dataset("breast_cancer", num_samples=100, seed=1)
    assert data.X.shape == (100, 30)
    assert set(np.unique(data.y)) == {0, 1}
    assert data.source == "sklearn"


def test_multiclass_builtin_is_reduced_and_says_so() -> None:
    """iris becomes class 0 vs the rest, with a note saying so."""
    data = load_dataset("iris")
    assert set(np.unique(data.y)) == {0, 1}
    assert any("reduced" in note for note in data.notes)


def test_synthetic_honours_num_samples_and_seed() -> None:
    """synthetic data has num_samples rows and the same seed gives the same fingerprint."""
    first = load_dataset("synthetic", num_samples=150, seed=3)
    assert first.X.shape[0] == 150
    assert first.fingerprint == load_dataset("synthetic", num_samples=150, seed=3).fingerprint
    assert first.fingerprint != load_dataset("synthetic", num_samples=150, seed=4).fingerprint


def test_unavailable_dataset_falls_back_to_synthetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A downloadable dataset that is not cached falls back to synthetic data and says so."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "empty"))
    data = load_dataset("covtype", num_samples=100)
    assert data.source == "synthetic"
    assert any("falling back to synthetic" in note for note in data.notes)


def test_unknown_dataset_name_is_an_input_error() -> None:
    """A name that is neither a file nor a known dataset is an error, not silent fallback."""
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset("no_such_dataset")


def test_csv_uses_label_column_and_string_labels(
    tmp_path: Path, write_csv: Callable[..., Path]
) -> None:
    """A CSV's 'label' column is the label wherever it stands; string labels map to 0/1."""
    path = write_csv(tmp_path / "d.csv", "label,a,b", ["no,1,2", "yes,3,4", "no,5,6"])
    data = load_dataset(str(path))
    assert data.feature_names == ("a", "b")
    assert data.y.tolist() == [0, 1, 0]
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6]]


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        ("a,b,label", ["1,x,0", "2,3,1"], "non-numeric feature value 'x'"),
        ("a,label", ["1,0", "2,0"], "single class"),
        ("a,b,label", ["1,2,0", "3,1"], "line 3 has 2 fields"),
        ("a,label", [], "header row and at least one data row"),
        ("a,label", ["1,0", "2,1", "3,2"], "3 classes"),
    ],
)
def test_malformed_csv_is_an_input_error(
    tmp_path: Path, header: str, rows: list[str], message: str, write_csv: Callable[..., Path]
) -> None:
    """Each kind of malformed CSV raises DatasetError naming the problem."""
    path = write_csv(tmp_path / "bad.csv", header, rows)
    with pytest.raises(DatasetError, match=message):
        load_dataset(str(path))


def test_missing_csv_is_an_input_error(tmp_path: Path) -> None:
    """A .csv path that does not exist is an error naming the file."""
    with pytest.raises(DatasetError, match="no such CSV file"):
        load_dataset(str(tmp_path / "missing.csv"))
