"""Hashed n-gram embeddings of prompts, the vectors the semantic index compares.

A prompt becomes ``n_features`` hashed features: character n-grams inside word
boundaries (scikit-learn's ``char_wb``) and word n-grams, weighted, signed by the hash
(``alternate_sign``) and summed, then L2-normalised. The result is the same vector,
bit for bit, as scikit-learn's ``HashingVectorizer`` analyzers fed to one
``FeatureHasher`` (a test holds the two together), computed several times faster:

* a prompt is normalised once, not once per analyzer;
* the character n-grams of a word and the hash of every n-gram are memoised (prompts
  repeat words far more than they repeat themselves), so most of a prompt is a few
  dictionary look-ups;
* a batch is summed with one ``bincount`` instead of building a sparse matrix.

The sums are of +-1.0 and +-0.5 only, which float64 adds exactly in any order, so the
order of accumulation cannot change a vector.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["HashedEmbedder", "normalise"]

_PUNCT = re.compile(r"[^\w\s]+")
_INT32_MIN = -(2**31)


def normalise(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces: what a prompt asks, not how it is typed."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _char_wb_grams(word: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``char_wb`` n-grams of one word (a word shorter than n counts once)."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def _word_grams(tokens: list[str], low: int, high: int) -> list[str]:
    """scikit-learn's word n-grams (no stop words) of a token list."""
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


class HashedEmbedder:
    """Turns prompts into dense, L2-normalised float32 rows (see the module notes)."""

    def __init__(
        self,
        n_features: int,
        char_ngrams: tuple[int, int],
        word_ngrams: tuple[int, int],
        word_weight: float,
        *,
        memo_size: int = 1 << 18,
    ) -> None:
        # scikit-learn's murmurhash, the hash FeatureHasher uses; imported here because it
        # brings scipy, and ``import perfcore`` stays light.
        from sklearn.utils import murmurhash3_32

        self._murmur = murmurhash3_32
        self.n_features = n_features
        self._char_ngrams = char_ngrams
        self._word_ngrams = word_ngrams
        self._word_weight = word_weight
        # Per-instance memos, bounded: a cache of a million prompts with a number each
        # sees a million distinct words, and only the frequent ones are worth keeping.
        self._code = lru_cache(maxsize=memo_size)(self._hash_code)
        self._word_codes = lru_cache(maxsize=memo_size)(self._char_codes)

    def _hash_code(self, feature: str) -> int:
        """``2 * column + (1 if the hash sign is negative)``, as FeatureHasher places it."""
        h = int(self._murmur(feature, seed=0))
        n = self.n_features
        column = (2147483647 - (n - 1)) % n if h == _INT32_MIN else abs(h) % n
        return 2 * column + (h < 0)

    def _char_codes(self, word: str) -> tuple[int, ...]:
        code = self._code
        return tuple(code(g) for g in _char_wb_grams(word, *self._char_ngrams))

    def _codes(self, text: str) -> tuple[list[int], list[int]]:
        """Feature codes of one prompt: (character n-grams, word n-grams)."""
        words = normalise(text).split()
        chars: list[int] = []
        for word in words:
            chars.extend(self._word_codes(word))
        if not self._word_weight:
            return chars, []
        code = self._code
        return chars, [code("w:" + g) for g in _word_grams(words, *self._word_ngrams)]

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit row per text (a text without features is a zero row)."""
        n, rows = self.n_features, len(texts)
        codes: list[int] = []
        kinds: list[int] = []  # per text: how many character codes, then word codes
        for text in texts:
            chars, words = self._codes(text)
            codes += chars
            codes += words
            kinds += (len(chars), len(words))
        code_array = np.asarray(codes, dtype=np.int64)
        signed = np.repeat(np.tile(np.array([1.0, self._word_weight]), rows), kinds)
        signed[(code_array & 1) == 1] *= -1.0
        per_row = np.asarray(kinds, dtype=np.int64).reshape(rows, 2).sum(axis=1)
        columns = np.repeat(np.arange(rows, dtype=np.int64) * n, per_row) + (code_array >> 1)
        dense = np.bincount(columns, weights=signed, minlength=n * rows).reshape(rows, n)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        unit: npt.NDArray[np.float32] = (dense / norms).astype(np.float32)
        return unit
