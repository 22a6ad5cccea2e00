"""Near-duplicate prompt lookup: hashed word and character n-grams, one dense matrix.

Each prompt becomes an L2-normalised vector of ``n_features`` hashed features (word
unigrams and bigrams plus character n-grams inside word boundaries, weighted and
summed). The vectors live in one preallocated float32 matrix that grows by doubling,
so a lookup over every stored prompt is a single matrix-vector product.

Lexical similarity cannot tell "capital of France" from "capital of Spain" by the
score alone, so a candidate must also carry the same numbers as the query (a different
number is a different question). See ``tests/components/data/`` for the labelled
workload the defaults were tuned on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_THRESHOLD", "SemanticIndex", "SemanticSettings"]

DEFAULT_THRESHOLD = 0.91
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PUNCT = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class SemanticSettings:
    """How prompts are embedded and when a neighbour counts as the same prompt."""

    threshold: float = DEFAULT_THRESHOLD
    n_features: int = 512
    char_ngrams: tuple[int, int] = (3, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    word_weight: float = 0.5
    require_same_numbers: bool = True


def _normalise(text: str) -> str:
    # Case, punctuation and spacing never change what a prompt asks.
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _numbers(text: str) -> tuple[str, ...]:
    return tuple(sorted(_NUMBER.findall(text)))


class _Embedder:
    """Turns prompts into dense, L2-normalised float32 rows.

    The n-grams come from scikit-learn ``HashingVectorizer`` analyzers (char_wb and word);
    they are hashed in one ``FeatureHasher`` pass with per-feature weights, which is
    several times faster per prompt than two vectorizer transforms and lets word
    features weigh differently from character ones.
    """

    def __init__(self, settings: SemanticSettings) -> None:
        from sklearn.feature_extraction import FeatureHasher
        from sklearn.feature_extraction.text import HashingVectorizer

        common: dict[str, Any] = {"lowercase": False, "preprocessor": _normalise}
        self._chars = HashingVectorizer(
            analyzer="char_wb", ngram_range=settings.char_ngrams, **common
        ).build_analyzer()
        self._words = HashingVectorizer(
            analyzer="word", ngram_range=settings.word_ngrams, token_pattern=r"\w+", **common  # noqa: S106
        ).build_analyzer()
        self._hasher = FeatureHasher(
            n_features=settings.n_features, input_type="pairs", alternate_sign=True
        )
        self._word_weight = settings.word_weight

    def _features(self, text: str) -> list[tuple[str, float]]:
        pairs = [(gram, 1.0) for gram in self._chars(text)]
        if self._word_weight:
            pairs += [("w:" + word, self._word_weight) for word in self._words(text)]
        return pairs

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        dense: npt.NDArray[np.float64] = self._hasher.transform(
            [self._features(t) for t in texts]
        ).toarray()
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        unit: npt.NDArray[np.float32] = (dense / norms).astype(np.float32)
        return unit


class SemanticIndex:
    """Stored prompt vectors, searched with one product; not thread-safe on its own."""

    def __init__(self, settings: SemanticSettings | None = None, capacity: int = 64) -> None:
        self.settings = settings or SemanticSettings()
        self._embedder = _Embedder(self.settings)
        self._matrix = np.zeros((max(capacity, 1), self.settings.n_features), dtype=np.float32)
        self._keys: list[str | None] = []
        self._numbers: list[tuple[str, ...]] = []
        self._slot: dict[str, int] = {}
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._slot)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for ``texts``; pure, so callers may run it outside their lock."""
        return self._embedder.embed(texts)

    def add(self, key: str, vector: npt.NDArray[np.float32]) -> None:
        """Store (or replace) the vector of ``key``."""
        slot = self._slot.get(key)
        if slot is None:
            slot = self._free.pop() if self._free else self._append_slot()
            self._slot[key] = slot
        self._matrix[slot] = vector
        self._keys[slot] = key
        self._numbers[slot] = _numbers(key)

    def remove(self, key: str) -> None:
        """Forget ``key``; its row is zeroed so it can never match."""
        slot = self._slot.pop(key, None)
        if slot is not None:
            self._matrix[slot] = 0.0
            self._keys[slot] = None
            self._free.append(slot)

    def clear(self) -> None:
        """Forget every key."""
        self._matrix[:] = 0.0
        self._keys.clear()
        self._numbers.clear()
        self._slot.clear()
        self._free.clear()

    def nearest(self, query: str, vector: npt.NDArray[np.float32]) -> tuple[str, float] | None:
        """The stored key most similar to ``query`` if it passes the threshold and guards."""
        used = len(self._keys)
        if used == 0:
            return None
        # One single-threaded pass (einsum, not BLAS gemv): on shared cores a threaded
        # gemv over ~10 MB showed 8-16 ms p90 tails, einsum stays under 1 ms.
        scores = np.einsum("ij,j->i", self._matrix[:used], vector)
        candidates = np.flatnonzero(scores >= self.settings.threshold)
        if candidates.size == 0:
            return None
        wanted = _numbers(query) if self.settings.require_same_numbers else None
        for slot in candidates[np.argsort(-scores[candidates], kind="stable")]:
            key = self._keys[int(slot)]
            if key is not None and (wanted is None or self._numbers[int(slot)] == wanted):
                return key, float(scores[slot])
        return None

    def _append_slot(self) -> int:
        slot = len(self._keys)
        if slot == self._matrix.shape[0]:
            grown = np.zeros((2 * slot, self._matrix.shape[1]), dtype=np.float32)
            grown[:slot] = self._matrix
            self._matrix = grown
        self._keys.append(None)
        self._numbers.append(())
        return slot
