"""The semantic index saved with the cache: same answers after a load, eviction and TTL kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from perfcore.components import AnnSettings, LLMCache, SemanticSettings
from perfcore.components.semantic import SemanticIndex
from perfcore.components.semantic_store import sidecar
from perfcore.errors import InputError

GRAPH = SemanticSettings(ann=AnnSettings(min_entries=16))
WORDS = [
    "amber",
    "basil",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "harbor",
    "iris",
    "jasper",
    "kelp",
    "lumen",
]


def _prompts(n: int) -> list[str]:
    """Number-free prompts (one group, so one graph), each naming its own pair of words."""
    rng = np.random.default_rng(1)
    return [
        f"describe the {WORDS[i % 12]} {WORDS[(i // 12) % 12]} project called "
        f"{''.join(rng.choice(list('bcdfgklmnprstvz'), 6))} briefly"
        for i in range(n)
    ]


def _filled(path: Path, n: int = 120, **kwargs: object) -> tuple[LLMCache, list[str]]:
    cache = LLMCache(max_entries=1000, semantic=GRAPH, path=path, **kwargs)  # type: ignore[arg-type]
    prompts = _prompts(n)
    for prompt in prompts:
        cache.put(prompt, f"answer to {prompt}")
    return cache, prompts


def _queries(prompts: list[str]) -> list[str]:
    """Each prompt reworded (case, spacing, a trailing mark): a semantic hit, not an exact one."""
    return [p.upper().replace(" ", "  ") + "?" for p in prompts]


def _index(cache: LLMCache) -> SemanticIndex:
    assert cache._index is not None
    return cache._index


def test_loaded_cache_answers_as_the_saved_one_without_embedding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload restores vectors and graph from the folder (no embedding) and answers alike."""
    cache, prompts = _filled(tmp_path / "c.jsonl")
    assert _index(cache).uses_graph(prompts[0])
    cache.save()
    before = [cache.get(q) for q in _queries(prompts)]
    monkeypatch.setattr(SemanticIndex, "add_many", lambda *a: pytest.fail("rebuilt on load"))
    loaded = LLMCache(max_entries=1000, semantic=GRAPH, path=tmp_path / "c.jsonl")
    assert _index(loaded).uses_graph(prompts[0])
    assert [loaded.get(q) for q in _queries(prompts)] == before
    assert sum(a is not None for a in before) >= 100


def test_a_loaded_cache_takes_new_prompts_into_matrix_and_graph(tmp_path: Path) -> None:
    """After a restore, new prompts grow the matrix and the graph and are found by meaning."""
    cache, prompts = _filled(tmp_path / "c.jsonl")
    cache.save()
    loaded = LLMCache(max_entries=1000, semantic=GRAPH, path=tmp_path / "c.jsonl")
    more = _prompts(300)[120:]
    for prompt in more:
        loaded.put(prompt, f"later {prompt}")
    assert len(_index(loaded).graphs()[()].keys()) == 300
    assert loaded.get(_queries(more)[-1]) == f"later {more[-1]}"
    assert loaded.get(_queries(prompts)[0]) == f"answer to {prompts[0]}"


def test_entries_evicted_or_expired_before_a_load_leave_the_graph(tmp_path: Path) -> None:
    """Prompts dropped at load (smaller cache, expired TTL) are in neither the cache nor graph."""
    now = [1_000.0]
    cache, prompts = _filled(tmp_path / "c.jsonl", clock=lambda: now[0])
    for prompt in prompts[:30]:
        cache.put(prompt, "short-lived", ttl_s=10)
    cache.save()
    now[0] += 60  # the first 30 expire; a 60-entry cache keeps the 60 newest of the rest
    loaded = LLMCache(
        max_entries=60, semantic=GRAPH, path=tmp_path / "c.jsonl", clock=lambda: now[0]
    )
    index = _index(loaded)
    graph = index.graphs()[()]
    assert set(graph.keys().tolist()) == set(index.slots_of(prompts[-60:]).tolist())
    assert all("short-lived" not in (loaded.get(q) or "") for q in _queries(prompts))
    assert [loaded.get(q) for q in _queries(prompts[-60:])] == [
        f"answer to {p}" for p in prompts[-60:]
    ]


def test_evicted_entries_are_removed_from_the_graph_before_saving(tmp_path: Path) -> None:
    """An entry removed after a save, then a re-save: the loaded graph no longer holds it."""
    cache, prompts = _filled(tmp_path / "c.jsonl")
    cache.save()
    with cache._lock:
        cache._remove(prompts[0])
    cache.save()
    loaded = LLMCache(max_entries=1000, semantic=GRAPH, path=tmp_path / "c.jsonl")
    assert len(_index(loaded).graphs()[()].keys()) == len(prompts) - 1
    assert loaded.get(_queries(prompts)[0]) is None


def test_an_index_of_another_save_is_rebuilt_not_used(tmp_path: Path) -> None:
    """A cache file re-saved without a semantic index does not name the old folder."""
    path = tmp_path / "c.jsonl"
    cache, prompts = _filled(path)
    cache.save()
    plain = LLMCache(max_entries=1000, path=path)
    plain.put("one more prompt about the harbor", "new")
    plain.save()
    assert "index" not in json.loads(path.read_text().splitlines()[0])
    loaded = LLMCache(max_entries=1000, semantic=GRAPH, path=path)
    assert len(_index(loaded)) == len(prompts) + 1
    assert loaded.get(_queries(prompts)[5]) == f"answer to {prompts[5]}"


@pytest.mark.parametrize("damage", ["graph", "vectors", "graph-with-checksum", "meta"])
def test_a_corrupt_index_folder_is_an_input_error(tmp_path: Path, damage: str) -> None:
    """A damaged file of the folder the cache names: one-line InputError, nothing loaded."""
    path = tmp_path / "c.jsonl"
    _filled(path)[0].save()
    folder = sidecar(path)
    if damage == "meta":
        (folder / "meta.json").write_text("{not json")
    else:
        target = folder / ("vectors.npy" if damage == "vectors" else "graph-0.usearch")
        data = bytearray(target.read_bytes())
        data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # second half zeroed
        target.write_bytes(bytes(data[: len(data) // 2] if "graph" in damage else data))
        if damage == "graph-with-checksum":  # past the checksum: usearch's own check
            import hashlib

            meta = json.loads((folder / "meta.json").read_text())
            meta["sha256"][target.name] = hashlib.sha256(target.read_bytes()).hexdigest()
            (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InputError) as info:
        LLMCache(max_entries=1000, semantic=GRAPH, path=path)
    assert "\n" not in str(info.value)
    assert "corrupt" in str(info.value)
