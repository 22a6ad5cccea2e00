"""LLMCache: LRU, TTL, statistics, wrapper, persistence, crashes, concurrency, semantics."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from perfcore.components import CacheFileWarning, FakeLLM, LLMCache
from perfcore.errors import ConfigError

HERE = Path(__file__).parent


class FakeClock:
    """A settable wall clock."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_exact_hit_returns_stored_response() -> None:
    """A stored prompt is served back exactly and counted as an exact hit."""
    cache = LLMCache(4)
    cache.put("q", "a")
    assert cache.get("q") == "a"
    assert cache.get("other") is None
    stats = cache.stats()
    assert (stats.exact_hits, stats.misses, stats.lookups) == (1, 1, 2)
    assert stats.hit_rate == 0.5


def test_lru_evicts_least_recently_used() -> None:
    """Past max_entries the least recently used entry goes, not the oldest inserted."""
    cache = LLMCache(2)
    cache.put("a", "1")
    cache.put("b", "2")
    cache.get("a")
    cache.put("c", "3")
    assert "a" in cache
    assert "c" in cache
    assert "b" not in cache
    assert cache.stats().evictions == 1


def test_max_bytes_bounds_total_size() -> None:
    """Entries are evicted until the byte budget holds; one too large is refused."""
    cache = LLMCache(100, max_bytes=10)
    assert cache.put("aa", "bb")
    assert cache.put("cc", "dd")
    assert cache.put("ee", "ff")
    assert cache.stats().bytes <= 10
    assert len(cache) == 2
    assert not cache.put("huge", "x" * 20)


def test_ttl_expires_entries_with_fake_clock() -> None:
    """An entry past its TTL is a miss and counted as an expiration."""
    clock = FakeClock()
    cache = LLMCache(4, ttl_s=10, clock=clock)
    cache.put("q", "a")
    cache.put("long", "b", ttl_s=100)
    clock.now += 11
    assert cache.get("q") is None
    assert cache.get("long") == "b"
    assert cache.stats().expirations == 1


def test_expire_purges_all_expired() -> None:
    """expire() drops every expired entry at once."""
    clock = FakeClock()
    cache = LLMCache(10, ttl_s=1, clock=clock)
    for i in range(5):
        cache.put(str(i), "x")
    clock.now += 2
    assert cache.expire() == 5
    assert len(cache) == 0


def test_invalid_settings_are_config_errors() -> None:
    """Nonsense sizes and TTLs are rejected with ConfigError."""
    with pytest.raises(ConfigError):
        LLMCache(0)
    with pytest.raises(ConfigError):
        LLMCache(1, ttl_s=0)


def test_wrap_saves_backend_calls() -> None:
    """The wrapper calls the backend once per distinct prompt and serves repeats."""
    backend = FakeLLM(latency_s=0.5, cost_per_call=0.01, sleep=lambda s: None)
    cache = LLMCache(16)
    ask = cache.wrap(backend)
    answers = [ask(p) for p in ["a", "b", "a", "a", "b"]]
    assert answers == [FakeLLM.answer(p) for p in ["a", "b", "a", "a", "b"]]
    assert backend.stats().calls == 2
    assert cache.stats().backend_calls_saved == 3


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved cache loads with the same entries in the same LRU order."""
    path = tmp_path / "cache.jsonl"
    cache = LLMCache(3, path=path)
    for k in "abc":
        cache.put(k, k.upper())
    cache.get("a")
    cache.save()
    loaded = LLMCache(3, path=path)
    loaded.put("d", "D")  # evicts the least recently used: "b"
    assert "b" not in loaded
    assert [loaded.get(k) for k in "acd"] == ["A", "C", "D"]


def test_load_drops_expired_entries(tmp_path: Path) -> None:
    """Entries that expired while the cache was on disk are not loaded."""
    clock = FakeClock()
    path = tmp_path / "cache.jsonl"
    cache = LLMCache(4, clock=clock)
    cache.put("short", "x", ttl_s=5)
    cache.put("long", "y", ttl_s=500)
    cache.save(path)
    clock.now += 10
    loaded = LLMCache(4, path=path, clock=clock)
    assert "short" not in loaded
    assert loaded.get("long") == "y"


@pytest.mark.parametrize(
    "content",
    [
        "not json at all\n",
        '{"schema": "other/1", "entries": 0}\n',
        '{"schema": "perfcore.llmcache/1", "entries": 2}\n'
        '{"prompt": "a", "response": "b", "expires_at": null}\n',
        '{"schema": "perfcore.llmcache/1", "entries": 1}\n{"prompt": 1}\n',
        "",
    ],
)
def test_corrupt_file_warns_starts_empty_and_keeps_file(tmp_path: Path, content: str) -> None:
    """A corrupt cache file gives a warning, an empty cache, and is renamed aside."""
    path = tmp_path / "cache.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.warns(CacheFileWarning, match="unreadable"):
        cache = LLMCache(4, path=path)
    assert len(cache) == 0
    kept = list(tmp_path.glob("cache.jsonl.corrupt-*"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == content
    assert not path.exists()


def test_save_without_path_is_config_error() -> None:
    """save() with no path anywhere is a usage error."""
    with pytest.raises(ConfigError):
        LLMCache(1).save()


def test_two_corruptions_in_one_second_keep_both_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second corrupt file quarantined in the same second does not replace the first."""
    monkeypatch.setattr(time, "strftime", lambda *_: "20260101T000000")
    path = tmp_path / "cache.jsonl"
    for content in ("first broken\n", "second broken\n"):
        path.write_text(content, encoding="utf-8")
        with pytest.warns(CacheFileWarning):
            LLMCache(4, path=path)
    kept = sorted(p.read_text(encoding="utf-8") for p in tmp_path.glob("cache.jsonl.corrupt-*"))
    assert kept == ["first broken\n", "second broken\n"]


def test_directory_at_cache_path_is_refused_and_kept(tmp_path: Path) -> None:
    """A directory at the cache path is a usage error (exit 2) and is not renamed away."""
    path = tmp_path / "cache.jsonl"
    path.mkdir()
    (path / "mine.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a regular file") as caught:
        LLMCache(4, path=path)
    assert caught.value.exit_code == 2
    with pytest.raises(ConfigError):
        LLMCache(4).save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.jsonl"]
    assert (path / "mine.txt").read_text() == "keep me"


def test_load_removes_a_killed_saves_old_temporaries(tmp_path: Path) -> None:
    """Temporaries a killed save left over an hour ago go when the cache is next loaded."""
    path = tmp_path / "cache.jsonl"
    cache = LLMCache(4, path=path)
    cache.put("a", "b")
    cache.save()
    old = time.time() - 2 * 3600
    leftovers = [
        tmp_path / ".cache.jsonl.x1y2z3_4.tmp",
        tmp_path / ".cache.jsonl.perfcore-0123456789ab.tmp",
    ]
    for leftover in leftovers:
        leftover.write_bytes(b"{" * 4096)
        os.utime(leftover, (old, old))
    assert len(LLMCache(4, path=path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.jsonl"]


def test_sigkill_during_save_never_leaves_a_torn_file(tmp_path: Path) -> None:
    """A saver killed at random moments always leaves a whole generation on disk."""
    path = tmp_path / "cache.jsonl"
    entries = 20_000
    rng = random.Random(7)
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "cache_saver.py"), str(path), str(entries)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # the first generation is on disk
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        lines = path.read_text(encoding="utf-8").splitlines()
        header = json.loads(lines[0])
        assert header["entries"] == entries == len(lines) - 1
        generations = {json.loads(line)["response"].split(":")[0] for line in lines[1:]}
        assert len(generations) == 1
        cache = LLMCache(entries, path=path)
        assert len(cache) == entries


def test_eight_threads_mixed_operations_keep_invariants() -> None:
    """8 threads x 50,000 get/put/expire ops: size bounded, hits + misses == lookups."""
    ticks = itertools.count()
    cache = LLMCache(256, ttl_s=2_000, clock=lambda: float(next(ticks)))
    lookups = [0] * 8
    errors: list[BaseException] = []
    oversize = threading.Event()

    def work(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for _ in range(50_000):
                key = f"k{rng.randrange(1024)}"
                roll = rng.random()
                if roll < 0.6:
                    cache.get(key)
                    lookups[worker] += 1
                elif roll < 0.999:
                    cache.put(key, "v", ttl_s=rng.choice([None, 50.0, 2_000.0]))
                else:
                    cache.expire()
                if len(cache) > 256:
                    oversize.set()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = cache.stats()
    assert errors == []
    assert not oversize.is_set()
    assert stats.entries <= 256
    assert stats.hits + stats.misses == stats.lookups == sum(lookups)
    assert stats.expirations > 0
    assert stats.evictions > 0


def test_semantic_hit_serves_near_duplicate() -> None:
    """A near-duplicate prompt is served the cached answer and counted as semantic."""
    cache = LLMCache(8, semantic=True)
    cache.put("What is the capital of France?", "Paris")
    assert cache.get("what is the capital of France") == "Paris"
    assert cache.get("What is the capital of Spain?") is None
    assert cache.stats().semantic_hits == 1


def test_semantic_never_serves_a_different_number() -> None:
    """Prompts that differ only in a number are different questions."""
    cache = LLMCache(8, semantic=True)
    cache.put("Convert 120 miles to kilometers.", "193")
    assert cache.get("Convert 121 miles to kilometers.") is None


def test_semantic_index_forgets_evicted_prompts() -> None:
    """An evicted prompt can no longer be served through semantic lookup."""
    cache = LLMCache(1, semantic=True)
    cache.put("What is the capital of France?", "Paris")
    cache.put("Who wrote Hamlet?", "Shakespeare")
    assert cache.get("what is the capital of France") is None
    assert cache.get("who wrote Hamlet") == "Shakespeare"


def test_semantic_precision_on_labelled_workload(capsys: pytest.CaptureFixture[str]) -> None:
    """At the default threshold distinct prompts get another answer <= 1% of the time."""
    data = json.loads((HERE / "data" / "semantic_pairs.json").read_text(encoding="utf-8"))
    cache = LLMCache(10_000, semantic=True)
    for prompt in data["cached"]:
        cache.put(prompt, f"answer to {prompt}")
    false_hits = sum(cache.get(row["query"]) is not None for row in data["distinct"])
    rates = {}
    for kind in ("surface", "reworded"):
        rows = [r for r in data["paraphrases"] if r["kind"] == kind]
        right = sum(cache.get(r["query"]) == f"answer to {r['source']}" for r in rows)
        rates[kind] = right / len(rows)
    false_rate = false_hits / len(data["distinct"])
    with capsys.disabled():
        print(
            f"\nsemantic: false hits {false_rate:.2%} of {len(data['distinct'])} distinct; "
            f"paraphrase hits surface {rates['surface']:.1%}, reworded {rates['reworded']:.1%}"
        )
    assert false_rate <= 0.01
    assert rates["surface"] >= 0.5  # semantic lookup must actually work
