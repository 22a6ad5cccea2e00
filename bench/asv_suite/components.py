"""ASV: the cache, the validator, the batch processor and the phase tracker, timed."""

from __future__ import annotations

import shutil
import tempfile
import threading
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
