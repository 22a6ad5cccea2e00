"""Near-duplicate prompt lookup: hashed n-gram vectors, an exact scan or an HNSW graph.

Each prompt becomes an L2-normalised vector of ``n_features`` hashed features (word
unigrams and bigrams plus character n-grams inside word boundaries, weighted and
summed; see :mod:`perfcore.components.embedding`). The vectors live in one
preallocated float32 matrix that grows by doubling.

Lexical similarity cannot tell "capital of France" from "capital of Spain" by the
score alone, so a candidate must also carry the same numbers as the query (a different
number is a different question). That guard also narrows every lookup: prompts are
grouped by their numbers, and only the query's group is searched, exactly (one
product over its rows) while it is small, through an approximate nearest-neighbour
graph (:mod:`perfcore.components.ann`) once it holds ``ann.min_entries`` prompts. The
graph's candidates are rescored exactly, so the threshold means the same in both.
See ``tests/components/data/`` for the labelled workload the defaults were tuned on,
and ``docs/performance.md`` for the recall of the graph against the exact scan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from perfcore.components.ann import AnnIndex, AnnSettings
from perfcore.components.embedding import HashedEmbedder

__all__ = ["DEFAULT_THRESHOLD", "AnnSettings", "SemanticIndex", "SemanticSettings"]

DEFAULT_THRESHOLD = 0.91
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_EMBED_CHUNK = 4096  # rows embedded at once: bounds the float64 scratch to 16 MB


@dataclass(frozen=True)
class SemanticSettings:
    """How prompts are embedded and when a neighbour counts as the same prompt."""

    threshold: float = DEFAULT_THRESHOLD
    n_features: int = 512
    char_ngrams: tuple[int, int] = (3, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    word_weight: float = 0.5
    require_same_numbers: bool = True
    ann: AnnSettings = field(default_factory=AnnSettings)


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(sorted(_NUMBER.findall(text)))


class SemanticIndex:
    """Stored prompt vectors grouped by their numbers; not thread-safe on its own."""

    def __init__(self, settings: SemanticSettings | None = None, capacity: int = 64) -> None:
        self.settings = cfg = settings or SemanticSettings()
        self._embedder = HashedEmbedder(
            cfg.n_features, cfg.char_ngrams, cfg.word_ngrams, cfg.word_weight
        )
        self._matrix = np.zeros((max(capacity, 1), cfg.n_features), dtype=np.float32)
        self._keys: list[str | None] = []
        self._slot: dict[str, int] = {}
        self._free: list[int] = []
        self._groups: dict[tuple[str, ...], set[int]] = {}
        self._graphs: dict[tuple[str, ...], AnnIndex] = {}

    def __len__(self) -> int:
        return len(self._slot)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for ``texts``; pure, so callers may run it outside their lock."""
        if len(texts) <= _EMBED_CHUNK:
            return self._embedder.embed(texts)
        return np.concatenate(
            [
                self._embedder.embed(texts[i : i + _EMBED_CHUNK])
                for i in range(0, len(texts), _EMBED_CHUNK)
            ]
        )

    def add(self, key: str, vector: npt.NDArray[np.float32]) -> None:
        """Store (or replace) the vector of ``key``."""
        slot, group = self._place(key, vector)
        graph = self._graphs.get(group)
        if graph is not None:
            graph.add(np.array([slot]), vector[np.newaxis])
        else:
            self._maybe_build(group)

    def add_many(self, keys: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        """Store many vectors; each graph is built or extended once, in one batch."""
        added: dict[tuple[str, ...], list[int]] = {}
        for key, vector in zip(keys, vectors, strict=True):
            slot, group = self._place(key, vector)
            added.setdefault(group, []).append(slot)
        for group, slots in added.items():
            graph = self._graphs.get(group)
            if graph is None:
                self._maybe_build(group)
            else:
                rows = np.array(slots)
                graph.add(rows, self._matrix[rows])

    def remove(self, key: str) -> None:
        """Forget ``key``; its row is zeroed and it leaves its group and graph."""
        slot = self._slot.pop(key, None)
        if slot is None:
            return
        group = self._group(key)
        members = self._groups[group]
        members.discard(slot)
        graph = self._graphs.get(group)
        if graph is not None:
            graph.remove(slot)
            if len(members) < self._graph_floor() // 2:
                del self._graphs[group]  # small again: an exact scan, and the memory back
        if not members:
            del self._groups[group]
        self._matrix[slot] = 0.0
        self._keys[slot] = None
        self._free.append(slot)

    def clear(self) -> None:
        """Forget every key."""
        self._matrix[:] = 0.0
        self._keys.clear()
        self._slot.clear()
        self._free.clear()
        self._groups.clear()
        self._graphs.clear()

    def nearest(
        self, query: str, vector: npt.NDArray[np.float32], *, exact: bool = False
    ) -> tuple[str, float] | None:
        """The stored key most similar to ``query`` if it passes the threshold and guards.

        ``exact`` scans every candidate even where a graph exists (to measure its recall).
        """
        group = self._group(query)
        members = self._groups.get(group)
        if not members:
            return None
        graph = None if exact else self._graphs.get(group)
        if graph is not None:
            slots = graph.search(vector, self.settings.ann.candidates)
        else:
            slots = np.fromiter(members, dtype=np.int64, count=len(members))
        slots.sort()  # ties go to the lower slot, as they always have
        # One single-threaded pass (einsum, not BLAS gemv): on shared cores a threaded
        # gemv over ~10 MB showed 8-16 ms p90 tails, einsum stays under 1 ms.
        scores = np.einsum("ij,j->i", self._matrix[slots], vector)
        if scores.size == 0:
            return None
        best = int(np.argmax(scores))
        if scores[best] < self.settings.threshold:
            return None
        key = self._keys[int(slots[best])]
        return (key, float(scores[best])) if key is not None else None

    def slots_of(self, keys: Sequence[str]) -> npt.NDArray[np.int64]:
        """The row (slot) of each stored key, in order."""
        return np.fromiter((self._slot[k] for k in keys), dtype=np.int64, count=len(keys))

    def rows(self, slots: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """A copy of the vectors at ``slots``."""
        return self._matrix[slots]

    def graphs(self) -> dict[tuple[str, ...], AnnIndex]:
        """The graph of each group that has one (the index's own objects)."""
        return dict(self._graphs)

    def restore(
        self,
        keys: Sequence[str],
        slots: npt.NDArray[np.int64],
        vectors: npt.NDArray[np.float32],
        graphs: dict[tuple[str, ...], AnnIndex],
    ) -> None:
        """Replace the contents: ``keys`` at their saved ``slots`` and the saved graphs.

        A graph is trimmed to its group's restored members (prompts evicted or expired
        since it was saved leave it) and completed where one is missing; a group that
        is now too small for a graph gets none, a large one without a graph is built.
        """
        self.clear()
        size = int(slots.max()) + 1 if len(slots) else 0
        if size == len(slots) and size >= 64 and bool((slots == np.arange(size)).all()):
            self._matrix = vectors  # rows already in slot order: adopted, not copied
        else:
            self._matrix = np.zeros((max(size, 64), self.settings.n_features), dtype=np.float32)
            self._matrix[slots] = vectors
        self._keys = [None] * size
        for key, slot in zip(keys, slots.tolist(), strict=True):
            self._slot[key] = slot
            self._keys[slot] = key
            self._groups.setdefault(self._group(key), set()).add(slot)
        taken = np.zeros(size, dtype=bool)
        taken[slots] = True
        self._free = np.flatnonzero(~taken)[::-1].tolist()  # pop() gives the lowest first
        for group, members in self._groups.items():
            graph = graphs.get(group)
            if graph is not None and len(members) >= self._graph_floor() // 2:
                graph.retain(members, self._matrix)
                self._graphs[group] = graph
            else:
                self._maybe_build(group)

    def uses_graph(self, query: str) -> bool:
        """Whether a lookup of ``query`` goes through the approximate graph."""
        return self._group(query) in self._graphs

    # -- internals -----------------------------------------------------------------

    def _group(self, key: str) -> tuple[str, ...]:
        # Without the number guard every prompt is a candidate for every query.
        return _numbers(key) if self.settings.require_same_numbers else ()

    def _graph_floor(self) -> int:
        floor = self.settings.ann.min_entries
        return floor if floor is not None else 1 << 62

    def _place(self, key: str, vector: npt.NDArray[np.float32]) -> tuple[int, tuple[str, ...]]:
        """Write ``vector`` into the slot of ``key`` (a new one if needed) and its group."""
        group = self._group(key)
        slot = self._slot.get(key)
        if slot is None:
            slot = self._free.pop() if self._free else self._append_slot()
            self._slot[key] = slot
            self._keys[slot] = key
            self._groups.setdefault(group, set()).add(slot)
        self._matrix[slot] = vector
        return slot, group

    def _maybe_build(self, group: tuple[str, ...]) -> None:
        members = self._groups.get(group, ())
        if len(members) < self._graph_floor():
            return
        graph = AnnIndex(self.settings.n_features, self.settings.ann)
        rows = np.fromiter(members, dtype=np.int64, count=len(members))
        graph.add(rows, self._matrix[rows])
        self._graphs[group] = graph

    def _append_slot(self) -> int:
        slot = len(self._keys)
        if slot == self._matrix.shape[0]:
            grown = np.zeros((2 * slot, self._matrix.shape[1]), dtype=np.float32)
            grown[:slot] = self._matrix
            self._matrix = grown
        self._keys.append(None)
        return slot
