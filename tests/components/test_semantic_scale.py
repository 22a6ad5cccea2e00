"""Semantic lookup at scale: the fast embedder, the number groups and the HNSW graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from perfcore.components import AnnSettings, LLMCache, SemanticSettings
from perfcore.components.semantic import SemanticIndex
from perfcore.errors import ConfigError

HERE = Path(__file__).parent
ALWAYS_GRAPH = SemanticSettings(ann=AnnSettings(min_entries=1))
NEVER_GRAPH = SemanticSettings(ann=AnnSettings(min_entries=None))


class FakeClock:
    """A settable wall clock."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _labelled() -> dict[str, Any]:
    return json.loads((HERE / "data" / "semantic_pairs.json").read_text(encoding="utf-8"))


def _sklearn_vectors(texts: list[str], settings: SemanticSettings) -> np.ndarray:
    """The embedding as scikit-learn computes it: two analyzers, one FeatureHasher."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer

    from perfcore.components.embedding import normalise

    common: dict[str, Any] = {"lowercase": False, "preprocessor": normalise}
    chars = HashingVectorizer(
        analyzer="char_wb", ngram_range=settings.char_ngrams, **common
    ).build_analyzer()
    words = HashingVectorizer(
        analyzer="word", ngram_range=settings.word_ngrams, token_pattern=r"\w+", **common
    ).build_analyzer()
    hasher = FeatureHasher(n_features=settings.n_features, input_type="pairs")
    rows = [
        [(g, 1.0) for g in chars(t)] + [("w:" + w, settings.word_weight) for w in words(t)]
        for t in texts
    ]
    dense = hasher.transform(rows).toarray()
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    return (dense / norms).astype(np.float32)


def test_embedder_equals_sklearn_feature_hasher() -> None:
    """The memoised embedder gives scikit-learn's vectors bit for bit."""
    data = _labelled()
    texts = data["cached"] + [r["query"] for r in data["paraphrases"] + data["distinct"]]
    texts += ["", "a", "  Ünïcödé: 12,5 and 3.25?!", "x y", "w:x"]
    index = SemanticIndex()
    ours = np.concatenate([index.embed(texts), index.embed(texts)])  # cold, then memoised
    assert np.array_equal(ours, np.concatenate([_sklearn_vectors(texts, index.settings)] * 2))


def _answers(settings: SemanticSettings) -> list[str | None]:
    data = _labelled()
    cache = LLMCache(10_000, semantic=settings)
    for prompt in data["cached"]:
        cache.put(prompt, f"answer to {prompt}")
    queries = [r["query"] for r in data["distinct"] + data["paraphrases"]]
    return [cache.get(q) for q in queries]


def test_graph_answers_the_labelled_workload_like_the_exact_scan() -> None:
    """With every group in a graph, each labelled query gets the exact scan's answer."""
    exact, graph = _answers(NEVER_GRAPH), _answers(ALWAYS_GRAPH)
    assert graph == exact
    assert not any(exact[: len(_labelled()["distinct"])])  # 0 false hits on 360 distinct


def test_lookup_uses_graph_only_for_a_large_group() -> None:
    """A group is searched through the graph from ann.min_entries prompts on."""
    index = SemanticIndex(SemanticSettings(ann=AnnSettings(min_entries=3)))
    for name in ("alpha", "beta"):
        index.add(f"tell me about {name}", index.embed([f"tell me about {name}"])[0])
    assert not index.uses_graph("tell me about gamma")
    index.add("tell me about delta", index.embed(["tell me about delta"])[0])
    assert index.uses_graph("tell me about gamma")
    assert not index.uses_graph("tell me about 7 things")  # another group, still small


def test_evicted_prompt_is_never_answered_from_the_graph() -> None:
    """An evicted entry leaves the graph: its near-duplicate is a miss afterwards."""
    cache = LLMCache(2, semantic=ALWAYS_GRAPH)
    cache.put("What is the capital of France?", "Paris")
    assert cache.get("what is the capital of France") == "Paris"
    cache.put("Who wrote Hamlet?", "Shakespeare")
    cache.put("Who painted the Mona Lisa?", "Leonardo")
    assert cache._index is not None
    assert len(cache._index._graphs[()]) == 2  # the evicted vector left the graph
    assert cache.get("what is the capital of France") is None
    assert cache.get("who wrote hamlet") == "Shakespeare"


def test_expired_prompt_is_never_answered_from_the_graph() -> None:
    """An expired entry leaves the graph on expire(), and the group drops its graph."""
    clock = FakeClock()
    settings = SemanticSettings(ann=AnnSettings(min_entries=2))
    cache = LLMCache(8, ttl_s=10.0, semantic=settings, clock=clock)
    cache.put("What is the capital of France?", "Paris")
    cache.put("Who wrote Hamlet?", "Shakespeare")
    assert cache._index is not None
    assert cache._index.uses_graph("anything")
    clock.now += 11.0
    assert cache.expire() == 2
    assert not cache._index.uses_graph("anything")
    assert cache.get("what is the capital of France") is None


def test_replaced_prompt_is_found_by_its_new_vector() -> None:
    """Re-adding a key replaces its vector in the graph, not a second copy."""
    index = SemanticIndex(ALWAYS_GRAPH)
    index.add("k", index.embed(["first words here"])[0])
    index.add("k", index.embed(["other text entirely"])[0])
    assert index.nearest("k", index.embed(["other text entirely"])[0]) == ("k", pytest.approx(1.0))
    assert index.nearest("k", index.embed(["first words here"])[0]) is None


def test_saved_cache_rebuilds_its_graph_on_load(tmp_path: Path) -> None:
    """Loading a saved semantic cache rebuilds the graph from the prompts."""
    settings = SemanticSettings(ann=AnnSettings(min_entries=2))
    cache = LLMCache(8, semantic=settings, path=tmp_path / "c.jsonl")
    cache.put("What is the capital of France?", "Paris")
    cache.put("Who wrote Hamlet?", "Shakespeare")
    cache.save()
    loaded = LLMCache(8, semantic=settings, path=tmp_path / "c.jsonl")
    assert loaded._index is not None
    assert loaded._index.uses_graph("anything")
    assert loaded.get("who wrote hamlet") == "Shakespeare"


@pytest.mark.parametrize("bad", [{"min_entries": 0}, {"candidates": 0}, {"connectivity": 0}])
def test_ann_settings_refuse_nonsense(bad: dict[str, int]) -> None:
    """Graph settings below 1 are a configuration error."""
    with pytest.raises(ConfigError):
        AnnSettings(**bad)
