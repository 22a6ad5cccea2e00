"""Huge but finite features: 422 for the request the model cannot score, and only for it."""

import asyncio
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
from starlette.testclient import TestClient

from perfcore.serving.app import ServerConfig, create_app
from perfcore.serving.model import Predictor, predictor_from_estimator
from perfcore.training.models import CorrelationModel, HeuristicModel

N = 6
HUGE = {"features": [1e308] * N}


def _fitted(model: HeuristicModel | CorrelationModel) -> Predictor:
    rng = np.random.default_rng(0)
    raw = rng.normal(scale=0.5, size=(300, N))  # features with a spread under 1, as many are
    y = (raw[:, 0] + raw[:, 1] + rng.normal(scale=0.25, size=300) > 0).astype(int)
    mean, scale = raw.mean(axis=0), raw.std(axis=0)
    # Served as the training pipeline serves it: standardised first, so 1e308 / 0.5 -> inf.
    return predictor_from_estimator(
        model.fit((raw - mean) / scale, y), "test", mean=mean, scale=scale
    )


MODELS = {"heuristic": _fitted(HeuristicModel()), "correlation": _fitted(CorrelationModel())}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_huge_finite_features_are_422_not_500(kind: str) -> None:
    """1e308 in every feature overflows the model's score: a 422 naming the range, not a 500."""
    client = TestClient(create_app(MODELS[kind]))
    response = client.post("/predict", json=HUGE)
    assert response.status_code == 422, response.text
    assert "range" in response.json()["error"]
    assert client.post("/predict", json={"features": [0.5] * N}).status_code == 200


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_one_huge_request_fails_alone_in_a_micro_batch(kind: str) -> None:
    """Batched with eight good requests, the huge one gets 422 and the eight get answers."""
    app = create_app(MODELS[kind], ServerConfig(batch_rows=16, batch_wait_ms=50))
    good = [{"features": [0.1 * i] * N} for i in range(8)]

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(
                await asyncio.gather(
                    *(client.post("/predict", json=body) for body in [*good[:4], HUGE, *good[4:]])
                )
            )

    replies = asyncio.run(go())
    assert [r.status_code for r in replies] == [200] * 4 + [422] + [200] * 4
    expected = MODELS[kind].predict_proba(np.array([b["features"] for b in good]))
    got = [r.json()["probabilities"] for r in replies if r.status_code == 200]
    np.testing.assert_allclose(got, expected)


@dataclass(frozen=True)
class _Broken:
    """A model that fails on every input: the server's fault."""

    n_features: int = N
    version: str = "broken"

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        raise ValueError("corrupt weights")


def test_a_model_that_fails_on_every_input_is_still_500() -> None:
    """A model that cannot score even a row of zeros is a server failure: 500."""
    response = TestClient(create_app(_Broken())).post("/predict", json={"features": [0.0] * N})
    assert response.status_code == 500
    assert "model failed" in response.json()["error"]
