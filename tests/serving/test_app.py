"""The ASGI app: predictions, health, metrics, bad input as 4xx, micro-batching."""

import asyncio
import json

import httpx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from perfcore.serving.app import ServerConfig, create_app
from perfcore.serving.model import synthetic_predictor

PREDICTOR = synthetic_predictor(n_features=4, seed=0)
ROW = [0.5, -1.0, 2.0, 0.25]


def _client(config: ServerConfig | None = None) -> TestClient:
    return TestClient(
        create_app(PREDICTOR, config or ServerConfig(max_batch=8, max_body_bytes=4096))
    )


def test_single_row_and_batch_predictions() -> None:
    """One row answers one probability vector; a batch answers one per row."""
    client = _client()
    one = client.post("/predict", json={"features": ROW})
    assert one.status_code == 200
    expected = PREDICTOR.predict_proba(np.array([ROW]))[0]
    np.testing.assert_allclose(one.json()["probabilities"], expected)
    many = client.post("/predict", json={"instances": [ROW, ROW, ROW]})
    assert len(many.json()["probabilities"]) == 3
    assert many.json()["model_version"] == PREDICTOR.version


def test_health_and_metrics_report_counts_and_version() -> None:
    """/metrics counts requests by status and holds a latency histogram."""
    client = _client()
    client.post("/predict", json={"features": ROW})
    client.post("/predict", content=b"nope")
    assert client.get("/health").json()["n_features"] == 4
    metrics = client.get("/metrics").json()
    assert metrics["requests"]["by_status"] == {"200": 1, "400": 1}
    assert metrics["latency_us"]["count"] == 2
    assert metrics["model_version"] == PREDICTOR.version


def test_oversized_body_is_413() -> None:
    """A body over the limit is refused with 413 before it is parsed."""
    response = _client().post("/predict", content=b" " * 5000)
    assert response.status_code == 413
    assert "exceeds" in response.json()["error"]


def test_wrong_method_is_405() -> None:
    """GET /predict is a method error, not a crash."""
    assert _client().get("/predict").status_code == 405


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(st.sampled_from(["features", "instances", "x"]), inner, max_size=3)
    ),
    max_leaves=20,
)
_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(lambda v: json.dumps(v).encode()),
    st.lists(
        st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=3)), max_size=8
    ).map(lambda row: json.dumps({"features": row}).encode()),
)
_MALFORMED_CLIENT = _client()


@settings(
    max_examples=1000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(body=_bodies)
def test_malformed_bodies_never_get_5xx(body: bytes) -> None:
    """1,000 generated bodies: every answer is < 500, and the server keeps answering."""
    response = _MALFORMED_CLIENT.post("/predict", content=body)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        assert "error" in response.json()
    assert _MALFORMED_CLIENT.get("/health").status_code == 200


def test_micro_batching_coalesces_concurrent_requests() -> None:
    """Concurrent single rows are answered from fewer model calls, with the same results."""
    app = create_app(PREDICTOR, ServerConfig(batch_rows=16, batch_wait_ms=20))

    async def go() -> tuple[list[httpx.Response], dict]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            rows = [[float(i), 1.0, -1.0, 0.5] for i in range(32)]
            replies = await asyncio.gather(
                *(client.post("/predict", json={"features": r}) for r in rows)
            )
            return list(replies), (await client.get("/metrics")).json()

    replies, metrics = asyncio.run(go())
    expected = PREDICTOR.predict_proba(np.array([[float(i), 1.0, -1.0, 0.5] for i in range(32)]))
    got = np.array([r.json()["probabilities"] for r in replies])
    np.testing.assert_allclose(got, expected)
    assert metrics["batching"]["rows"] == 32
    assert metrics["batching"]["batches"] < 32


def test_noop_answers_a_constant_and_only_to_post() -> None:
    """POST /noop answers {"ok": true} whatever the body; GET /noop is a 405."""
    client = _client()
    assert client.post("/noop", content=b"anything").json() == {"ok": True}
    assert client.get("/noop").status_code == 405


def test_prediction_bytes_are_the_standard_json_of_the_probabilities() -> None:
    """The orjson answer parses to the same floats json.dumps of tolist() would give."""
    body = _client().post("/predict", json={"instances": [ROW, ROW]}).content
    expected = PREDICTOR.predict_proba(np.array([ROW, ROW])).tolist()
    assert json.loads(body)["probabilities"] == expected


def test_single_row_answer_is_the_batch_answer_for_that_row() -> None:
    """The plain-float one-row path answers what the numpy batch path gives (to rounding)."""
    client = _client()
    rows = np.random.default_rng(7).normal(scale=2.0, size=(20, 4)).tolist()
    for row in rows:
        one = json.loads(client.post("/predict", json={"features": row}).content)
        two = json.loads(client.post("/predict", json={"instances": [row, row]}).content)
        np.testing.assert_allclose(one["probabilities"], two["probabilities"][0], rtol=1e-12)


def test_single_row_with_non_finite_scores_is_422() -> None:
    """A finite row the linear model overflows on is refused on the one-row path too."""
    answer = _client().post("/predict", json={"features": [1e308, -1e308, 1e308, 1e308]})
    assert answer.status_code == 422
    assert "non-finite" in answer.json()["error"]
