"""ASV: the cache, the validator, the batch processor and the phase tracker, timed."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import cachetools

from perfcore.components.batch import BatchFileProcessor
from perfcore.components.cache import LLMCache
from perfcore.components.validator import Mode, ParallelValidator
from perfcore.instrument.phases import PhaseTracker

from ._common import workloads

OPS = 2_000


class Cache:
    """Exact hits (ours and cachetools behind a lock), misses with puts, persistence."""

    def setup(self) -> None:
        self.keys = workloads.prompts(OPS, seed=1)
        self.cache = LLMCache(max_entries=2 * OPS, ttl_s=3600.0)
        self.reference: cachetools.TTLCache[str, str] = cachetools.TTLCache(2 * OPS, 3600.0)
        self.lock = threading.Lock()
        for key in self.keys:
            self.cache.put(key, key)
            self.reference[key] = key
        self.folder = Path(tempfile.mkdtemp(prefix="perfcore-asv-"))
        self.saved = self.cache.save(self.folder / "cache.jsonl")

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_exact_hit_2000(self) -> None:
        get = self.cache.get
        for key in self.keys:
            get(key)

    def time_exact_hit_2000_cachetools_reference(self) -> None:
        for key in self.keys:
            with self.lock:
                self.reference.get(key)

    def time_miss_and_put_2000(self) -> None:
        cache = LLMCache(max_entries=4 * OPS)
        for key in self.keys:
            if cache.get(key) is None:
                cache.put(key, key)

    def time_save(self) -> None:
        self.cache.save(self.folder / "out.jsonl")

    def time_load(self) -> None:
        LLMCache(max_entries=2 * OPS, path=self.saved)


class SemanticLookup:
    """A reworded prompt answered by semantic lookup, at 1,000 and 10,000 entries (100 ops)."""

    params = ([1_000, 10_000],)
    param_names = ("entries",)
    timeout = 180

    def setup(self, entries: int) -> None:
        plain = LLMCache(max_entries=2 * entries)
        stored = workloads.prompts(entries, seed=3)
        for key in stored:
            plain.put(key, key)
        self.folder = Path(tempfile.mkdtemp(prefix="perfcore-asv-"))
        path = plain.save(self.folder / "semantic.jsonl")
        self.cache = LLMCache(max_entries=2 * entries, semantic=True, path=path)
        self.queries = [workloads.reworded(p) for p in stored[:100]]

    def teardown(self, entries: int) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_semantic_lookup_100(self, entries: int) -> None:
        for query in self.queries:
            self.cache.get(query)


class Validator:
    """8 sleep-bound validators (50 ms each), serially or on 8 threads."""

    params = (["serial", "threads"],)
    param_names = ("mode",)

    def setup(self, mode: Mode) -> None:
        checks = [workloads.sleep_validator(0.05) for _ in range(8)]
        self.validator = ParallelValidator(checks, mode=mode, max_workers=8)

    def time_sleep_bound(self, mode: str) -> None:
        self.validator.run(0)


class Batch:
    """The batch processor on 2,000 small files, durable (the naive loop is in track_*)."""

    timeout = 300

    def setup(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="perfcore-asv-"))
        self.inputs = workloads.small_files(self.folder / "in", 2_000)

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_batched_2000_files(self) -> None:
        out = self.folder / "out"
        shutil.rmtree(out, ignore_errors=True)
        BatchFileProcessor(workloads.upper_transform).process(self.inputs, out)


class Tracker:
    """20,000 phases through the phase tracker."""

    def setup(self) -> None:
        self.tracker = PhaseTracker()

    def time_with_phase_20000(self) -> None:
        phase = self.tracker.phase
        for _ in range(20_000):
            with phase("step"):
                pass


class SemanticAtScale:
    """Semantic lookup over 100,000 and 1,000,000 entries: numbered prompts (exact, by
    number group) and number-free ones (the HNSW graph); 100 reworded or edited queries
    per timing.

    The caches come from the shared on-disk store (``workloads.scale_cache``), built
    once per settings and loaded with their saved index in each benchmark process.
    """

    params = (["numbered", "named"], [100_000, 1_000_000])
    param_names = ("workload", "entries")
    timeout = 7200  # the first build of a 1M store; later setups load the saved index
    number = 1
    repeat = (3, 5, 60.0)

    def setup(self, workload: str, entries: int) -> None:
        self.saved = workloads.scale_cache(workload, entries, 100)
        start = time.perf_counter()
        self.cache = LLMCache(max_entries=2 * entries, semantic=True, path=self.saved.path)
        self.restore_s = time.perf_counter() - start
        self.queries = self.saved.queries

    def track_load_saved_index(self, workload: str, entries: int) -> float:
        """Seconds to load the cache with its saved index (no embedding, no graph build)."""
        return float(self.restore_s)

    track_load_saved_index.unit = "s"  # type: ignore[attr-defined]

    def track_load_rebuild(self, workload: str, entries: int) -> float:
        """Seconds the store's load without an index took (embedding and graph build)."""
        return float(self.saved.rebuild_s)

    track_load_rebuild.unit = "s"  # type: ignore[attr-defined]

    def time_semantic_lookup_100(self, workload: str, entries: int) -> None:
        for query in self.queries:
            self.cache.get(query)

    def track_recall_at_1(self, workload: str, entries: int) -> float:
        """Share of the exact scan's answers the lookup gives too (same threshold)."""
        index = self.cache._index
        assert index is not None
        hits = agree = 0
        for query, vector in zip(self.queries, index.embed(self.queries), strict=True):
            exact = index.nearest(query, vector, exact=True)
            if exact is not None:
                hits += 1
                found = index.nearest(query, vector)
                agree += found is not None and found[0] == exact[0]
        return agree / hits if hits else 0.0

    track_recall_at_1.unit = "ratio"  # type: ignore[attr-defined]


class ProcessesCpuBound:
    """8 CPU-bound validators: serially, on the 2-worker pool, and as two bare calls."""

    params = (["serial", "processes", "bare"],)
    param_names = ("mode",)
    timeout = 300

    def setup(self, mode: str) -> None:
        if mode == "bare":
            self.validator = ParallelValidator(
                [workloads.cpu_validators_4] * 2, mode="processes", max_workers=2
            )
        else:
            self.validator = ParallelValidator(
                [workloads.cpu_validator] * 8,
                mode=mode,  # type: ignore[arg-type]
                max_workers=2,
            )
        self.validator.run(1)  # workers started and warm before any timing

    def teardown(self, mode: str) -> None:
        self.validator.close()

    def time_cpu_bound_8(self, mode: str) -> None:
        self.validator.run(7)
