"""The numpy fast path gives sklearn's probabilities; other models go through sklearn."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from perfcore.errors import InputError
from perfcore.serving.model import (
    EstimatorPredictor,
    LinearPredictor,
    ensure_model,
    load_predictor,
    predictor_from_estimator,
    synthetic_predictor,
)


def _data(n_classes: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=3.0, scale=2.0, size=(300, 7))
    y = rng.integers(0, n_classes, size=300)
    x[:, 0] += y  # make the classes learnable
    return x, y


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("scaled", [False, True])
def test_linear_fast_path_matches_sklearn(n_classes: int, scaled: bool) -> None:
    """LinearPredictor's probabilities equal predict_proba (binary, multiclass, with a scaler)."""
    x, y = _data(n_classes)
    model = (
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
        if scaled
        else LogisticRegression(max_iter=500)
    )
    model.fit(x, y)
    predictor = predictor_from_estimator(model, "v1")
    assert isinstance(predictor, LinearPredictor)
    probe = np.random.default_rng(2).normal(loc=3.0, scale=2.0, size=(50, 7))
    np.testing.assert_allclose(
        predictor.predict_proba(probe), model.predict_proba(probe), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        predictor.predict_proba(probe[:1]), model.predict_proba(probe[:1]), rtol=1e-9, atol=1e-12
    )


def test_non_linear_model_uses_sklearn() -> None:
    """A forest is served through its own predict_proba, not the linear path."""
    x, y = _data(2)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
    predictor = predictor_from_estimator(forest, "v1")
    assert isinstance(predictor, EstimatorPredictor)
    np.testing.assert_array_equal(predictor.predict_proba(x[:3]), forest.predict_proba(x[:3]))


def test_skops_model_dir_round_trip(tmp_path) -> None:
    """A skops file plus metadata JSON loads with the metadata's version."""
    import json

    import skops.io as sio

    x, y = _data(2)
    model = LogisticRegression().fit(x, y)
    sio.dump(model, tmp_path / "model.skops")
    (tmp_path / "model.json").write_text(json.dumps({"version": "abc123"}))
    predictor = load_predictor(tmp_path)
    assert predictor.version == "abc123"
    assert predictor.n_features == 7


def test_empty_model_dir_is_input_error(tmp_path) -> None:
    """A directory without a model is a one-line input error, not a crash."""
    with pytest.raises(InputError, match=r"no \.skops model"):
        load_predictor(tmp_path)


def test_synthetic_predictor_is_deterministic() -> None:
    """The synthetic model depends only on its seed."""
    a, b = synthetic_predictor(seed=3), synthetic_predictor(seed=3)
    row = np.ones((1, a.n_features))
    np.testing.assert_array_equal(a.predict_proba(row), b.predict_proba(row))


def test_trained_model_is_served_with_its_preprocessing(tmp_path) -> None:
    """A model promoted by perfcore.training is served: raw rows are standardised first,
    and the fast path equals the pipeline's own model on standardised rows."""
    import json

    from perfcore.serving.model import ensure_model
    from perfcore.training import load_model

    model_dir = tmp_path / "models" / "current"
    ensure_model(model_dir)
    predictor = load_predictor(model_dir)
    (model_file,) = model_dir.glob("*.skops")
    meta = json.loads(model_file.with_suffix(".json").read_text())
    mean = np.array(meta["preprocessing"]["mean"])
    scale = np.array(meta["preprocessing"]["scale"])
    raw = mean + scale * np.random.default_rng(0).normal(size=(20, len(mean)))
    expected = load_model(model_file).predict_proba((raw - mean) / scale)
    assert predictor.n_features == len(mean)
    np.testing.assert_allclose(predictor.predict_proba(raw), expected, rtol=1e-9, atol=1e-12)
    assert 0.01 < expected[:, 1].mean() < 0.99  # the probe is not saturated


def test_ensure_model_refuses_other_paths(tmp_path) -> None:
    """Outside <dir>/models/current, a missing model is an input error, not a training run."""
    with pytest.raises(InputError, match="no promoted model"):
        ensure_model(tmp_path / "elsewhere")


def test_one_binary_row_matches_the_numpy_path() -> None:
    """A single row (plain-float path) gets the probabilities of the same row in a batch."""
    predictor = synthetic_predictor(n_features=16, seed=3)
    rows = np.random.default_rng(5).normal(scale=3.0, size=(50, 16))
    rows[0, :] = 1e308  # overflows to inf - inf: nan, as numpy gives
    rows[1, 0] = np.nan
    singles = np.vstack([predictor.predict_proba(row[np.newaxis]) for row in rows])
    both = np.vstack([predictor.predict_proba(np.vstack([row, row]))[:1] for row in rows])
    np.testing.assert_allclose(singles, both, rtol=1e-12, atol=1e-15)
    assert np.isnan(singles[:2]).all()


def test_predict_row_equals_predict_proba_of_that_row() -> None:
    """The plain-float row path gives exactly the floats of the one-row numpy call."""
    predictor = synthetic_predictor(n_features=16, seed=3)
    for row in np.random.default_rng(9).normal(scale=3.0, size=(30, 16)):
        plain = predictor.predict_row(row.tolist())
        assert plain == predictor.predict_proba(row[np.newaxis])[0].tolist()
