"""An approximate nearest-neighbour index (usearch's HNSW graph) over rows of the semantic matrix.

The graph holds a copy of each vector in float16 (half the memory of the float32
matrix it mirrors) and is keyed by the row ("slot") number, so a search answers slots
whose exact scores the caller recomputes from its float32 matrix: the threshold is
applied to exact scores, never to the graph's rounded ones. A removed slot is deleted
from the graph (usearch marks it and skips it in every later search), so an evicted or
expired prompt can never be a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from perfcore.errors import ConfigError

__all__ = ["AnnIndex", "AnnSettings"]


@dataclass(frozen=True)
class AnnSettings:
    """When the graph is used and how hard it searches.

    ``min_entries``: a candidate set at least this large is searched through the graph,
    a smaller one by an exact scan (``None``: always exact). ``candidates``: neighbours
    asked of the graph per lookup, rescored exactly. ``connectivity``,
    ``expansion_add`` and ``expansion_search`` are HNSW's M, efConstruction and efSearch.
    """

    min_entries: int | None = 4096
    candidates: int = 16
    connectivity: int = 32
    expansion_add: int = 128
    expansion_search: int = 256

    def __post_init__(self) -> None:
        if self.min_entries is not None and self.min_entries < 1:
            raise ConfigError(f"ann min_entries must be >= 1 or None, got {self.min_entries}")
        if min(self.candidates, self.connectivity, self.expansion_add, self.expansion_search) < 1:
            raise ConfigError("ann candidates, connectivity and expansions must be >= 1")


class AnnIndex:
    """A usearch HNSW index of unit vectors under the inner product, keyed by slot."""

    def __init__(self, ndim: int, settings: AnnSettings) -> None:
        from usearch.index import Index  # loaded with the first graph, not with perfcore

        self.settings = settings
        self._index: Any = Index(
            ndim=ndim,
            metric="ip",
            dtype="f16",
            connectivity=settings.connectivity,
            expansion_add=settings.expansion_add,
            expansion_search=settings.expansion_search,
        )

    def __len__(self) -> int:
        return len(self._index)

    def add(self, slots: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        """Insert (or replace) the vectors of ``slots``; a batch is built on every core."""
        keys = np.asarray(slots, dtype=np.uint64)
        stale = [key for key in keys.tolist() if key in self._index]
        if stale:
            self._index.remove(np.asarray(stale, dtype=np.uint64))
        self._index.add(keys, np.ascontiguousarray(vectors, dtype=np.float32), threads=0)

    def remove(self, slot: int) -> None:
        """Delete ``slot`` from the graph; it is never returned again."""
        if slot in self._index:
            self._index.remove(slot)

    def search(self, vector: npt.NDArray[np.float32], count: int) -> npt.NDArray[np.int64]:
        """The slots of up to ``count`` approximate nearest neighbours of ``vector``."""
        matches = self._index.search(vector, count)
        return np.asarray(matches.keys, dtype=np.int64)

    def keys(self) -> npt.NDArray[np.int64]:
        """The slots the graph holds (deleted ones excluded)."""
        return np.asarray(self._index.keys, dtype=np.int64)

    def retain(self, slots: set[int], rows: npt.NDArray[np.float32]) -> None:
        """Make the graph hold exactly ``slots``: delete the others, add the missing ones.

        ``rows`` is the matrix the slots index (to add a missing slot's vector).
        """
        held = set(self.keys().tolist())
        extra = held - slots
        if extra:
            self._index.remove(np.fromiter(extra, dtype=np.uint64, count=len(extra)))
        missing = np.fromiter(slots - held, dtype=np.int64, count=len(slots - held))
        if missing.size:
            self.add(missing, rows[missing])

    def save(self, path: Path) -> None:
        """Write the graph (with its float16 vectors) to ``path``."""
        self._index.save(str(path))

    @classmethod
    def load(cls, path: Path, ndim: int, settings: AnnSettings) -> AnnIndex:
        """A graph saved by :meth:`save`; ValueError when the file is not one of ours."""
        from usearch.compiled import MetricKind, ScalarKind
        from usearch.index import Index

        meta = Index.metadata(str(path))
        if meta is None or (meta["kind_metric"], meta["kind_scalar"], meta["dimensions"]) != (
            MetricKind.IP,
            ScalarKind.F16,
            ndim,
        ):
            raise ValueError(f"{path.name} is not an inner-product float16 graph of {ndim} dims")
        graph = cls(ndim, settings)
        try:
            graph._index.load(str(path))
        except RuntimeError as exc:  # usearch's own check of the file failed
            raise ValueError(f"{path.name}: {exc}") from None
        return graph
