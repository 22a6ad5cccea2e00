"""A simulated cloud inference endpoint: the local model behind a network and service model.

Per request, in this order: the token bucket may refuse it (429, not billed); the
round trip time is drawn from the configured distribution plus jitter; a cold start
is added when the service has been idle; a request slower than the timeout becomes a
504 after the timeout; a fraction of the rest fail with 503. Every draw comes from one
seeded ``numpy.random.Generator`` and the clock is injectable, so runs repeat. Delays
are ``asyncio.sleep``, so the simulator serves many concurrent requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from perfcore.serving.app import Admission

__all__ = ["CloudModel", "CloudSimulator", "TokenBucket"]

Distribution = Literal["lognormal", "uniform", "constant"]


@dataclass(frozen=True)
class CloudModel:
    """The network and service parameters of the simulated endpoint."""

    rtt: Distribution = "lognormal"
    rtt_median_s: float = 0.040
    rtt_sigma: float = 0.25  # log-space sigma (lognormal) or half-width fraction (uniform)
    jitter_s: float = 0.002
    timeout_s: float = 2.0
    rate_limit_rps: float = 2000.0
    burst: int = 200
    error_rate: float = 0.001
    cold_start_s: float = 0.5
    idle_before_cold_s: float = 60.0
    price_per_1k: float = 0.20  # currency units per 1,000 billed requests
    seed: int = 0

    def __post_init__(self) -> None:
        numbers = (
            self.rtt_median_s,
            self.rtt_sigma,
            self.jitter_s,
            self.timeout_s,
            self.rate_limit_rps,
            self.error_rate,
            self.cold_start_s,
            self.idle_before_cold_s,
            self.price_per_1k,
        )
        if not all(math.isfinite(x) and x >= 0 for x in numbers):
            raise ValueError("cloud model parameters must be finite and >= 0")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        if not 0 <= self.error_rate <= 1:
            raise ValueError("error_rate must lie in [0, 1]")
        if self.rate_limit_rps <= 0 or self.burst < 1:
            raise ValueError("rate_limit_rps must be > 0 and burst >= 1")

    def draw_rtt(self, rng: np.random.Generator) -> float:
        """One round trip time in seconds, jitter included."""
        if self.rtt == "lognormal":
            base = float(rng.lognormal(np.log(max(self.rtt_median_s, 1e-9)), self.rtt_sigma))
        elif self.rtt == "uniform":
            half = self.rtt_median_s * self.rtt_sigma
            base = float(rng.uniform(self.rtt_median_s - half, self.rtt_median_s + half))
        else:
            base = self.rtt_median_s
        return max(0.0, base + abs(float(rng.normal(0.0, self.jitter_s))))


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` stored; one token per request."""

    rate: float
    capacity: float
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self._tokens = self.capacity
        self._last = self.clock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = self.clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


@dataclass
class CloudSimulator:
    """The :class:`~perfcore.serving.app.ServiceModel` of a simulated cloud endpoint."""

    model: CloudModel = field(default_factory=CloudModel)
    clock: Callable[[], float] = time.monotonic
    rng: np.random.Generator | None = None
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("billed", "rate_limited", "cold_starts", "timeouts", "injected_errors"), 0
        )
    )
    _bucket: TokenBucket = field(init=False)
    _last_request: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rng is None:
            self.rng = np.random.default_rng(self.model.seed)
        self._bucket = TokenBucket(self.model.rate_limit_rps, self.model.burst, self.clock)

    def admit(self) -> Admission:
        """Decide this request's fate and delays."""
        assert self.rng is not None
        m, now = self.model, self.clock()
        if not self._bucket.take():
            self.counts["rate_limited"] += 1
            return Admission(reject=(429, "rate limit exceeded, retry later"))
        self.counts["billed"] += 1
        rtt = m.draw_rtt(self.rng)
        cold = self._last_request is None or now - self._last_request > m.idle_before_cold_s
        self._last_request = now
        service = m.cold_start_s if cold else 0.0
        self.counts["cold_starts"] += int(cold)
        if rtt + service > m.timeout_s:
            self.counts["timeouts"] += 1
            return Admission(network_s=m.timeout_s, reject=(504, "upstream timed out"))
        if self.rng.random() < m.error_rate:
            self.counts["injected_errors"] += 1
            return Admission(network_s=rtt, reject=(503, "service unavailable (injected)"))
        return Admission(network_s=rtt, service_s=service)

    def snapshot(self) -> dict[str, Any]:
        """Counters and the bill so far."""
        cost = self.counts["billed"] * self.model.price_per_1k / 1000
        return {**self.counts, "price_per_1k": self.model.price_per_1k, "cost": cost}
