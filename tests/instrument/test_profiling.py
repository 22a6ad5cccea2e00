"""profiled: counts wall, CPU and calls when enabled; returns the function when disabled."""

from __future__ import annotations

import itertools

import pytest

from perfcore.instrument import ProfileRegistry, profiled
from perfcore.instrument import profiling as profiling_module


def _fake_registry() -> ProfileRegistry:
    wall = itertools.count(0, 1_000_000)  # 1 ms per reading
    cpu = itertools.count(0, 250_000)
    return ProfileRegistry(wall=lambda: next(wall), cpu=lambda: next(cpu))


def test_disabled_returns_the_function_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """With profiling off, decoration costs nothing: the same function object comes back."""
    monkeypatch.setattr(profiling_module, "_enabled", False)

    def work() -> int:
        return 1

    assert profiled(work) is work
    assert profiled(name="x")(work) is work


def test_enabled_records_calls_wall_and_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each call adds one call, the wall delta and the CPU delta of the fake clocks."""
    monkeypatch.setattr(profiling_module, "_enabled", True)
    registry = _fake_registry()

    @profiled(name="square", registry=registry)
    def square(x: int) -> int:
        return x * x

    assert [square(i) for i in range(3)] == [0, 1, 4]
    (stats,) = registry.stats()
    assert (stats.name, stats.calls) == ("square", 3)
    assert stats.wall_s == pytest.approx(0.003)
    assert stats.cpu_s == pytest.approx(0.00075)
    assert stats.mean_wall_s == pytest.approx(0.001)


def test_exceptions_are_still_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that raises is recorded and its error propagates."""
    registry = _fake_registry()

    @profiled(registry=registry, force=True)
    def boom() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        boom()
    assert registry.stats()[0].calls == 1
    registry.reset()
    assert registry.stats() == ()


def test_enable_and_disable_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """enable_profiling/disable_profiling flip what later decorations do."""
    monkeypatch.setattr(profiling_module, "_enabled", False)
    profiling_module.enable_profiling()
    assert profiling_module.profiling_enabled()
    profiling_module.disable_profiling()
    assert not profiling_module.profiling_enabled()
