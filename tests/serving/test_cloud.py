"""The cloud simulator: seeded, rate-limited, billed, with cold starts, timeouts and errors."""

import numpy as np
import pytest

from perfcore.serving.cloud import CloudModel, CloudSimulator, TokenBucket


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_its_rate() -> None:
    """A bucket of 2 at 10/s gives 2 tokens, then one more after 0.1 s."""
    clock = FakeClock()
    bucket = TokenBucket(rate=10, capacity=2, clock=clock)
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    clock.now += 0.1
    assert bucket.take()
    assert not bucket.take()


def test_rate_limited_requests_get_429_and_are_not_billed() -> None:
    """Past the burst, requests are refused with 429 and cost nothing."""
    sim = CloudSimulator(CloudModel(rate_limit_rps=1, burst=3, error_rate=0), clock=FakeClock())
    outcomes = [sim.admit() for _ in range(5)]
    assert [o.reject[0] if o.reject else 200 for o in outcomes] == [200, 200, 200, 429, 429]
    assert sim.snapshot()["billed"] == 3
    assert sim.snapshot()["cost"] == pytest.approx(3 * 0.20 / 1000)


def test_same_seed_same_delays() -> None:
    """Two simulators with one seed draw identical round trips."""
    a, b = (CloudSimulator(CloudModel(seed=7), clock=FakeClock()) for _ in range(2))
    assert [a.admit().network_s for _ in range(20)] == [b.admit().network_s for _ in range(20)]


def test_lognormal_rtt_median_is_the_configured_one() -> None:
    """The drawn RTTs have the configured median (40 ms) within sampling error."""
    model = CloudModel(jitter_s=0.0)
    rng = np.random.default_rng(0)
    draws = [model.draw_rtt(rng) for _ in range(20_000)]
    assert np.median(draws) == pytest.approx(0.040, rel=0.02)


def test_cold_start_after_idle_only() -> None:
    """The first request and one after a long idle pay the cold start; others do not."""
    clock = FakeClock()
    sim = CloudSimulator(
        CloudModel(idle_before_cold_s=10, cold_start_s=0.5, error_rate=0), clock=clock
    )
    first, warm = sim.admit(), sim.admit()
    clock.now += 11
    cold_again = sim.admit()
    assert (first.service_s, warm.service_s, cold_again.service_s) == (0.5, 0.0, 0.5)


def test_slow_requests_time_out_with_504() -> None:
    """A round trip beyond the timeout becomes a 504 after exactly the timeout."""
    sim = CloudSimulator(
        CloudModel(rtt="constant", rtt_median_s=3.0, jitter_s=0, timeout_s=1.0), clock=FakeClock()
    )
    outcome = sim.admit()
    assert outcome.reject is not None
    assert outcome.reject[0] == 504
    assert outcome.network_s == 1.0


def test_error_rate_injects_503s() -> None:
    """With error_rate 1 every admitted request fails with 503."""
    sim = CloudSimulator(CloudModel(error_rate=1.0, burst=100), clock=FakeClock())
    assert {sim.admit().reject[0] for _ in range(10)} == {503}
