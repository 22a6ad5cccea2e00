"""Precision variants: INT8 error bounds, closeness to full precision, and the gate's refusal."""

from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from perfcore.cli import main
from perfcore.errors import InputError
from perfcore.optimisation import variants as variants_module
from perfcore.optimisation.variants import (
    EvaluationSet,
    VariantRefusedError,
    VariantTolerance,
    check_variant,
    require_variant,
    synthetic_evaluation_set,
)
from perfcore.serving.model import predictor_from_estimator, synthetic_predictor
from perfcore.serving.precision import (
    PRECISIONS,
    VariantPredictor,
    make_variant,
    model_bytes,
    quantise_int8,
    quantise_int8_rows,
)
from perfcore.serving.server import ServerSpec, _predictor
from perfcore.training.models import SimpleTransformerModel

REFERENCE = synthetic_predictor()
DATA = synthetic_evaluation_set()


def _mlp():
    rng = np.random.default_rng(3)
    x = rng.normal(loc=2.0, scale=3.0, size=(400, 6))
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = SimpleTransformerModel(epochs=5, seed=0).fit((x - mean) / scale, y)
    return predictor_from_estimator(model, "mlp", mean=mean, scale=scale), x


@pytest.mark.parametrize("granularity", ["channel", "tensor"])
def test_int8_error_is_at_most_half_a_step(granularity) -> None:
    """Every dequantised weight is within scale/2 of the original, per channel or per tensor."""
    w = np.random.default_rng(0).normal(size=(32, 8)) * np.geomspace(0.01, 10, 8)
    q, scale = quantise_int8(w, granularity)
    assert q.dtype == np.int8
    assert np.all(np.abs(q.astype(np.float64) * scale - w) <= scale / 2 * (1 + 1e-6))


def test_input_channel_int8_error_is_at_most_half_a_step() -> None:
    """With a scale per input row and per output column, each weight is within r*c/2."""
    w = np.random.default_rng(2).normal(size=(32, 8)) * np.geomspace(1e-3, 1e3, 32)[:, None]
    q, cols, rows = quantise_int8_rows(w)
    approx = rows[:, None] * q.astype(np.float64) * cols
    assert np.all(np.abs(approx - w) <= rows[:, None] * cols / 2 * (1 + 1e-6))


def test_folded_standardisation_needs_input_scales() -> None:
    """On features spanning 1e-2..1e3, output-only INT8 fails the gate; the default passes."""
    rng = np.random.default_rng(4)
    spans = np.geomspace(1e-2, 1e3, 12)
    x = rng.normal(size=(1200, 12)) * spans
    y = ((x / spans) @ rng.normal(size=12) > 0).astype(np.int64)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x[:800], y[:800])
    reference = predictor_from_estimator(model, "spans")
    data = EvaluationSet(x[800:], y[800:], "held out")
    tol = VariantTolerance()
    per_output = check_variant(
        reference, make_variant(reference, "int8", "channel"), data, tol, "int8"
    )
    default = check_variant(reference, make_variant(reference, "int8"), data, tol, "int8")
    assert not per_output.decision.passed
    assert default.decision.passed


def test_per_channel_scales_beat_one_scale_for_uneven_columns() -> None:
    """With columns of very different size, per-channel INT8 keeps the small columns."""
    w = np.random.default_rng(1).normal(size=(64, 4)) * np.array([0.01, 0.1, 1.0, 100.0])
    errs = {
        g: np.abs(q * s - w)[:, :3].sum()
        for g in ("channel", "tensor")
        for q, s in [quantise_int8(w, g)]
    }
    assert errs["channel"] < errs["tensor"] / 10


@pytest.mark.parametrize(
    ("precision", "bound"), [("float32", 1e-5), ("float16", 5e-3), ("int8", 3e-2)]
)
def test_linear_variants_stay_close_to_float64(precision, bound) -> None:
    """Each variant's probabilities differ from full precision's by less than its bound."""
    variant = make_variant(REFERENCE, precision)
    diff = np.abs(variant.predict_proba(DATA.x) - REFERENCE.predict_proba(DATA.x)).max()
    assert diff < bound


@pytest.mark.parametrize(("precision", "bound"), [("float32", 1e-5), ("int8", 5e-2)])
def test_mlp_variants_fold_the_standardisation(precision, bound) -> None:
    """The MLP's variants, standardisation folded in, match the estimator's probabilities."""
    reference, x = _mlp()
    variant = make_variant(reference, precision)
    assert isinstance(variant, VariantPredictor)
    assert len(variant.layers) == 2
    assert np.abs(variant.predict_proba(x) - reference.predict_proba(x)).max() < bound


def test_lower_precision_takes_less_memory() -> None:
    """Model bytes shrink float64 > float32 > float16 > per-channel int8; MLP int8 < float32."""
    sizes = [model_bytes(make_variant(REFERENCE, p)) for p in PRECISIONS[:3]]
    sizes.append(model_bytes(make_variant(REFERENCE, "int8", "channel")))
    assert sizes == sorted(sizes, reverse=True)
    assert len(set(sizes)) == 4
    mlp, _ = _mlp()
    assert model_bytes(make_variant(mlp, "int8")) < model_bytes(make_variant(mlp, "float32"))


def test_unsupported_model_is_an_input_error() -> None:
    """A random forest has no precision variants: InputError, not a crash."""
    x = np.random.default_rng(0).normal(size=(50, 3))
    forest = RandomForestClassifier(n_estimators=3).fit(x, (x[:, 0] > 0).astype(int))
    with pytest.raises(InputError, match="logistic or MLP"):
        make_variant(predictor_from_estimator(forest, "rf"), "int8")


@dataclass(frozen=True)
class _Flipped:
    """A broken 'variant': the reference's probabilities with the classes swapped."""

    n_features: int = 16
    version: str = "flipped"

    def predict_proba(self, x):
        return REFERENCE.predict_proba(x)[:, ::-1]


def test_gate_passes_int8_and_refuses_a_broken_variant() -> None:
    """The promotion gate passes INT8 of the synthetic model and fails a class-swapped one."""
    tol = VariantTolerance()
    ok = check_variant(REFERENCE, make_variant(REFERENCE, "int8"), DATA, tol, "int8")
    bad = check_variant(REFERENCE, _Flipped(), DATA, tol, "int8")
    assert ok.decision.passed
    assert not bad.decision.passed
    assert bad.accuracy_delta < -0.5


def test_require_variant_raises_when_the_gate_fails(monkeypatch) -> None:
    """require_variant refuses a variant that fails the gate with VariantRefusedError."""
    monkeypatch.setattr(variants_module, "make_variant", lambda *_: _Flipped())
    with pytest.raises(VariantRefusedError, match="refused by the promotion gate"):
        require_variant(REFERENCE, "int8", DATA, VariantTolerance())


def test_serve_refuses_a_failing_variant_with_exit_2(monkeypatch, capsys) -> None:
    """perfcore serve --precision exits 2 with one line and never starts a failing variant."""
    import perfcore.serving.server as server

    started = []
    monkeypatch.setattr(variants_module, "make_variant", lambda *_: _Flipped())
    monkeypatch.setattr(server, "run_server", lambda spec, **_: started.append(spec))
    code = main(["serve", "--synthetic-model", "--precision", "int8", "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert not started
    assert "refused by the promotion gate" in err
    assert len(err.strip().splitlines()) == 1


def test_serve_starts_a_passing_variant(monkeypatch) -> None:
    """perfcore serve --precision float16 passes the gate and serves that precision."""
    import perfcore.serving.server as server

    started = []
    monkeypatch.setattr(server, "run_server", lambda spec, **_: started.append(spec))
    assert main(["serve", "--synthetic-model", "--precision", "float16", "--port", "0"]) == 0
    assert started[0].precision == "float16"


def test_server_spec_carries_the_precision_to_the_predictor() -> None:
    """A spec's precision survives JSON and makes the server load that variant."""
    spec = ServerSpec.from_json(ServerSpec(model_dir=None, precision="int8").to_json())
    predictor = _predictor(spec)
    assert isinstance(predictor, VariantPredictor)
    assert predictor.precision == "int8"


def test_the_cli_lists_every_precision() -> None:
    """perfcore serve --precision offers exactly the variants the package builds."""
    from perfcore._cli._optimise import PRECISION_CHOICES
    from perfcore.optimisation.precision import PRECISIONS

    assert PRECISION_CHOICES == PRECISIONS


def test_gate_data_gone_says_why(tmp_path) -> None:
    """A model whose training CSV is gone (a retrained one) is refused with the reason."""
    import json

    (tmp_path / "logistic.json").write_text(
        json.dumps(
            {"params": {"dataset": str(tmp_path / "recent.csv"), "seed": 0, "test_fraction": 0.2}}
        )
    )
    with pytest.raises(InputError, match="trained on temporary rows: serve it at float64"):
        variants_module.evaluation_set(tmp_path)
