"""Semantic lookup at scale: 100,000 and 1,000,000 entries, the graph against the exact scan.

Two workloads (``bench/workloads.py``): :func:`prompts` carry a number each, so the
number guard confines a lookup to a handful of prompts and the exact scan stays tiny
at any size; :func:`named_prompts` carry none and share one group, which from
``AnnSettings.min_entries`` on is searched through the HNSW graph. Queries are stored
prompts reworded (same text once normalised) or edited (a word changed; still a hit).

Each cache is built once per session (filled, saved and loaded, which embeds every
prompt and builds the graph in one batch); that load is itself a recorded figure.
Recall@1 is measured against the exact scan of the same index at the same threshold:
the share of queries the exact scan answers for which the graph gives the same entry.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from benchutil import Profile, collected, interleaved_ratios, record_per_op, record_samples
from workloads import edited, named_prompts, prompts, reworded

from perfcore.components.cache import LLMCache
from perfcore.components.semantic import SemanticIndex

# Building the 1M and graph caches takes minutes on a busy 2-core machine.
pytestmark = pytest.mark.timeout(3600)

QUERIES = 200
_BUILT: dict[tuple[str, int], tuple[LLMCache, list[str], float]] = {}


@pytest.fixture(scope="module", autouse=True)
def _release_caches() -> Iterator[None]:
    """Free the large caches once this module is done.

    Every later benchmark collects garbage before each round, and a heap still holding
    the million-entry cache made each collection cost seconds: measured on the 2-core
    machine, a training phase's test took 10-25 times longer after this module than
    alone (docs/gate.md, "The round's cost").
    """
    yield
    _BUILT.clear()
    gc.collect()


def _build(kind: str, entries: int, folder: Path) -> tuple[LLMCache, list[str], float]:
    """A loaded semantic cache of ``entries`` prompts, its queries, and the load's seconds."""
    key = (kind, entries)
    if key not in _BUILT:
        stored = (prompts if kind == "numbered" else named_prompts)(entries, seed=3)
        plain = LLMCache(max_entries=2 * entries)
        for prompt in stored:
            plain.put(prompt, f"response to {prompt}")
        path = plain.save(folder / f"{kind}-{entries}.jsonl")
        del plain
        step = max(1, entries // QUERIES)
        picked = stored[::step][:QUERIES]
        queries = [reworded(p) for p in picked[::2]] + [edited(p) for p in picked[1::2]]
        start = time.perf_counter()
        cache = LLMCache(max_entries=2 * entries, semantic=True, path=path)
        _BUILT[key] = (cache, queries, time.perf_counter() - start)
    return _BUILT[key]


@pytest.fixture(scope="session")
def scale_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the large caches are saved before they are loaded."""
    return tmp_path_factory.mktemp("semantic-scale")


def _index(cache: LLMCache) -> SemanticIndex:
    assert cache._index is not None
    return cache._index


CASES = [("numbered", 100_000), ("numbered", 1_000_000), ("named", 100_000)]


@pytest.mark.parametrize(("kind", "entries"), CASES)
def test_semantic_load_rebuild(benchmark: Any, scale_folder: Path, kind: str, entries: int) -> None:
    """Seconds to load a saved semantic cache: every prompt embedded, the graph built."""
    _, _, seconds = _build(kind, entries, scale_folder)
    benchmark.pedantic(lambda: None, rounds=1, warmup_rounds=0)
    record_samples(benchmark, [seconds], unit="s", better="lower")
    benchmark.extra_info["note"] = "one load per session; the sample is that load's time"


@pytest.mark.parametrize(("kind", "entries"), CASES)
def test_semantic_lookup_at_scale(
    benchmark: Any, profile: Profile, scale_folder: Path, kind: str, entries: int
) -> None:
    """Per-op time of a semantic lookup (targets: <= 2 ms at 100k and 1M entries)."""
    cache, queries, _ = _build(kind, entries, scale_folder)
    assert _index(cache).uses_graph(queries[0]) == (kind == "named")
    get = cache.get

    def run() -> None:
        for query in queries:
            get(query)

    benchmark.pedantic(
        run, setup=collected(), rounds=profile.rounds(10, 3), warmup_rounds=profile.warmup(1)
    )
    record_per_op(benchmark, len(queries))


def _agreement(index: SemanticIndex, queries: list[str]) -> tuple[float, int]:
    """Recall@1 of the graph against the exact scan, and how many queries the scan hit."""
    vectors = index.embed(queries)
    hits = agree = 0
    for query, vector in zip(queries, vectors, strict=True):
        exact = index.nearest(query, vector, exact=True)
        approx = index.nearest(query, vector)
        assert exact is not None or approx is None, "the graph answered what the scan did not"
        if exact is not None:
            hits += 1
            agree += approx is not None and approx[0] == exact[0]
    return agree / hits, hits


@pytest.mark.parametrize(("kind", "entries"), CASES)
def test_semantic_recall_at_1(benchmark: Any, scale_folder: Path, kind: str, entries: int) -> None:
    """Recall@1 of the lookup against the exact scan at the same threshold (target >= 0.99)."""
    cache, queries, _ = _build(kind, entries, scale_folder)
    results: list[tuple[float, int]] = []
    benchmark.pedantic(
        lambda: results.append(_agreement(_index(cache), queries)), rounds=1, warmup_rounds=0
    )
    recall, hits = results[0]
    record_samples(benchmark, [recall], unit="ratio", better="higher")
    benchmark.extra_info["exact_hits"] = hits
    assert hits >= len(queries) // 2, "the workload must be answered by the exact scan"


def test_semantic_graph_speedup_100k(benchmark: Any, profile: Profile, scale_folder: Path) -> None:
    """Exact scan time over graph time for the same lookups at 100k, side by side."""
    cache, queries, _ = _build("named", 100_000, scale_folder)
    index = _index(cache)
    some = queries[:20]
    vectors = index.embed(some)

    def lookups(exact: bool) -> Callable[[], None]:
        def run() -> None:
            for query, vector in zip(some, vectors, strict=True):
                index.nearest(query, vector, exact=exact)

        return run

    ratios: list[float] = []

    def pair() -> None:
        got, _, _ = interleaved_ratios(lookups(True), lookups(False), 2)
        ratios.extend(got)

    benchmark.pedantic(pair, rounds=profile.rounds(5, 1), warmup_rounds=0)
    record_samples(benchmark, ratios, unit="ratio", better="higher")
