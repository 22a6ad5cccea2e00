"""LLMCache: exact hits, misses with puts, semantic lookups, persistence; cachetools as reference.

A cache operation takes about a microsecond, so every round runs a loop over many
prompts and the per-operation time is what perfcore records (``record_per_op``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cachetools
import pytest
from benchutil import Profile, collected, interleaved_ratios, record_per_op, record_samples
from workloads import prompts, reworded

from perfcore.components.cache import LLMCache

HIT_OPS = 2_000
TTL_S = 3_600.0


@pytest.fixture(scope="module")
def hit_prompts() -> list[str]:
    """The prompts of the exact-hit workload, all present in the caches below."""
    return prompts(HIT_OPS, seed=1)


def _llm_cache_hits(keys: list[str]) -> Callable[[], None]:
    cache = LLMCache(max_entries=2 * len(keys), ttl_s=TTL_S)
    for key in keys:
        cache.put(key, f"response to {key}")
    get = cache.get

    def run() -> None:
        for key in keys:
            get(key)

    return run


def _reference_hits(keys: list[str]) -> Callable[[], None]:
    # The reference a team would reach for: cachetools' TTLCache behind one lock,
    # the same thread-safety LLMCache gives.
    cache: cachetools.TTLCache[str, str] = cachetools.TTLCache(maxsize=2 * len(keys), ttl=TTL_S)
    lock = threading.Lock()
    for key in keys:
        cache[key] = f"response to {key}"

    def run() -> None:
        for key in keys:
            with lock:
                cache.get(key)

    return run


def test_exact_hit(benchmark: Any, profile: Profile, hit_prompts: list[str]) -> None:
    """Per-op time of an exact hit in LLMCache (TTL set, as in production)."""
    benchmark.pedantic(
        _llm_cache_hits(hit_prompts),
        setup=collected(),
        rounds=profile.rounds(30, 5),
        warmup_rounds=profile.warmup(2),
    )
    record_per_op(benchmark, len(hit_prompts))


def test_exact_hit_reference_cachetools(
    benchmark: Any, profile: Profile, hit_prompts: list[str]
) -> None:
    """Per-op time of the same hits on cachetools.TTLCache behind a threading.Lock."""
    benchmark.pedantic(
        _reference_hits(hit_prompts),
        setup=collected(),
        rounds=profile.rounds(30, 5),
        warmup_rounds=profile.warmup(2),
    )
    record_per_op(benchmark, len(hit_prompts))


def test_exact_hit_vs_cachetools_ratio(
    benchmark: Any, profile: Profile, hit_prompts: list[str]
) -> None:
    """LLMCache hit time over the cachetools reference, measured side by side (target <= 2)."""
    ours, reference = _llm_cache_hits(hit_prompts), _reference_hits(hit_prompts)
    ratios: list[float] = []

    def one_pair() -> None:
        # slow=ours, fast=reference: the ratio is LLMCache time / reference time.
        got, _, _ = interleaved_ratios(ours, reference, rounds=2)
        ratios.extend(got)

    benchmark.pedantic(one_pair, rounds=profile.rounds(15, 3), warmup_rounds=1)
    record_samples(benchmark, ratios[2:], unit="ratio", better="lower")


def test_miss_and_put(benchmark: Any, profile: Profile) -> None:
    """Per-op time of a miss followed by a put into an exact-match cache."""
    keys = prompts(HIT_OPS, seed=2)

    def run(cache: LLMCache) -> None:
        for key in keys:
            if cache.get(key) is None:
                cache.put(key, "response")

    benchmark.pedantic(
        run,
        setup=collected(lambda: LLMCache(max_entries=4 * HIT_OPS, ttl_s=TTL_S)),
        rounds=profile.rounds(20, 3),
        warmup_rounds=profile.warmup(1),
    )
    record_per_op(benchmark, len(keys))


def _semantic_cache(tmp_path: Path, entries: int) -> LLMCache:
    # Filling through load() embeds every prompt in one batch: seconds faster than puts.
    plain = LLMCache(max_entries=2 * entries)
    for key in prompts(entries, seed=3):
        plain.put(key, f"response to {key}")
    path = plain.save(tmp_path / f"semantic-{entries}.jsonl")
    return LLMCache(max_entries=2 * entries, semantic=True, path=path)


@pytest.mark.parametrize("entries", [1_000, 10_000])
def test_semantic_lookup(benchmark: Any, profile: Profile, tmp_path: Path, entries: int) -> None:
    """Per-op time of a reworded prompt answered by semantic lookup (target <= 1 ms at 10k)."""
    cache = _semantic_cache(tmp_path, entries)
    queries = [reworded(p) for p in prompts(entries, seed=3)[: 100 if entries > 1_000 else 200]]
    assert all(cache.get(q) is not None for q in queries[:5]), "workload must hit semantically"

    def run() -> None:
        for query in queries:
            cache.get(query)

    benchmark.pedantic(
        run, setup=collected(), rounds=profile.rounds(15, 3), warmup_rounds=profile.warmup(1)
    )
    record_per_op(benchmark, len(queries))


@pytest.fixture(scope="module")
def saved_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A persisted exact-match cache of 10,000 entries."""
    cache = LLMCache(max_entries=20_000, ttl_s=TTL_S)
    for key in prompts(10_000, seed=4):
        cache.put(key, f"response to {key}")
    return cache.save(tmp_path_factory.mktemp("cache") / "cache.jsonl")


def test_save_10k(benchmark: Any, profile: Profile, saved_cache: Path, tmp_path: Path) -> None:
    """Time to save a 10,000-entry cache atomically (JSON lines, fsync, rename)."""
    cache = LLMCache(max_entries=20_000, path=saved_cache)
    target = tmp_path / "out.jsonl"
    benchmark.pedantic(
        lambda: cache.save(target),
        setup=collected(),
        rounds=profile.rounds(15, 3),
        warmup_rounds=profile.warmup(1),
    )


def test_load_10k(benchmark: Any, profile: Profile, saved_cache: Path) -> None:
    """Time to load a saved 10,000-entry cache."""
    benchmark.pedantic(
        lambda: LLMCache(max_entries=20_000, path=saved_cache),
        setup=collected(),
        rounds=profile.rounds(15, 3),
        warmup_rounds=profile.warmup(1),
    )
