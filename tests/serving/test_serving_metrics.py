"""Server metrics: counts by status and the latency histogram."""

from hdrh.histogram import HdrHistogram

from perfcore.serving.metrics import ServerMetrics


def test_times_recorded_in_bulk_give_the_histogram_of_one_by_one() -> None:
    """Pending times folded in as (value, count) pairs equal recording each time at once."""
    metrics = ServerMetrics(model_version="v")
    direct = HdrHistogram(1, 3_600_000_000, 3)
    for i in range(10_000):  # past the flush size, with a remainder still pending
        elapsed_ns = (i * 7919) % 50_000_000
        metrics.record(200 if i % 3 else 422, elapsed_ns)
        direct.record_value(min(max(elapsed_ns // 1000, 1), 3_600_000_000))
    snap = metrics.snapshot()
    assert snap["latency_us"]["count"] == 10_000
    assert snap["histogram"] == direct.encode().decode("ascii")
    assert snap["requests"]["by_status"] == {"200": 6666, "422": 3334}
