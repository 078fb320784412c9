"""TF-IDF features computed with the standard library's `re`, a dict and scipy.sparse.

It reproduces scikit-learn's `TfidfVectorizer(lowercase=True, token_pattern=..., ngram_range=
..., norm="l2", smooth_idf=True, sublinear_tf=False)` transform: lower-case, find tokens,
add word n-grams joined by one space, count known terms, multiply by idf, l2-normalize rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_array

from server.agents.numeric import FloatArray
from server.agents.runtime.model import LinearTextModel


class TfidfFeaturizer:
    """Turns a batch of (normalized) texts into an l2-normalized TF-IDF CSR matrix."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: FloatArray,
        token_pattern: str,
        ngram_range: tuple[int, int],
        lowercase: bool = True,
    ) -> None:
        pattern = re.compile(token_pattern)
        if pattern.groups > 1:
            raise ValueError("token pattern may have at most one capturing group")
        low, high = ngram_range
        if not 1 <= low <= high:
            raise ValueError(f"invalid ngram range {ngram_range}")
        self._findall = pattern.findall
        self._index = {term: j for j, term in enumerate(vocabulary)}
        if len(self._index) != len(vocabulary):
            raise ValueError("vocabulary has duplicate terms")
        self._idf = idf
        self._ngrams = range(max(low, 2), high + 1)
        self._unigrams = low == 1
        self._lowercase = lowercase

    @classmethod
    def from_model(cls, model: LinearTextModel) -> TfidfFeaturizer:
        """The featurizer described by a model's spec and arrays."""
        spec = model.spec
        return cls(
            model.vocabulary, model.idf, spec.token_pattern, spec.ngram_range, spec.lowercase
        )

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return len(self._index)

    def tokens(self, text: str) -> list[str]:
        """The words of `text` as the vectorizer sees them (before n-grams)."""
        return self._findall(text.lower() if self._lowercase else text)

    def _terms(self, tokens: list[str]) -> list[str]:
        terms = list(tokens) if self._unigrams else []
        for n in self._ngrams:
            terms.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))
        return terms

    def transform(self, texts: Sequence[str]) -> csr_array:
        """One row per text; the column of each known term holds its normalized tf-idf."""
        return self._transform([self.tokens(text) for text in texts])

    def transform_with_oov(self, texts: Sequence[str]) -> tuple[csr_array, list[float]]:
        """`transform` and `oov_rates` from one tokenization (the worker's scoring path)."""
        tokens = [self.tokens(text) for text in texts]
        return self._transform(tokens), self._oov_rates(tokens)

    def _transform(self, token_lists: list[list[str]]) -> csr_array:
        get = self._index.get
        indices: list[int] = []
        indptr = [0]
        for tokens in token_lists:
            indices += [j for term in self._terms(tokens) if (j := get(term)) is not None]
            indptr.append(len(indices))
        rows = len(token_lists)
        counts = csr_array(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(rows, self.n_features),
        )
        counts.sum_duplicates()  # repeated terms become counts; also sorts the indices
        data = counts.data * self._idf[counts.indices]
        lengths = np.diff(counts.indptr)
        squares = np.bincount(
            np.repeat(np.arange(rows), lengths), weights=data * data, minlength=rows
        )
        norms = np.sqrt(squares)
        norms[norms == 0.0] = 1.0  # a text with no known term stays an all-zero row
        data /= np.repeat(norms, lengths)
        return csr_array((data, counts.indices, counts.indptr), shape=counts.shape)

    def oov_rates(self, texts: Sequence[str]) -> list[float]:
        """Per text, the share of its word tokens not in the vocabulary; 0.0 for no token."""
        return self._oov_rates([self.tokens(text) for text in texts])

    def _oov_rates(self, token_lists: list[list[str]]) -> list[float]:
        known = self._index
        return [
            sum(1 for token in tokens if token not in known) / len(tokens) if tokens else 0.0
            for tokens in token_lists
        ]

    def oov_rate(self, texts: Sequence[str]) -> float:
        """Share of word tokens (unigrams) that are not in the vocabulary; 0.0 if none."""
        total = unknown = 0
        for text in texts:
            tokens = self.tokens(text)
            total += len(tokens)
            unknown += sum(1 for token in tokens if token not in self._index)
        return unknown / total if total else 0.0
