"""Themes by meaning: the computations behind discovering themes and proposing a theme for
each comment, on the comment vectors of :mod:`hoering.embeddings`.

Everything here loads NumPy, scikit-learn and the embedding model: it runs in the
background worker or in a child process (:mod:`hoering.isolation`), never in a web worker.
The pages and the cache around it are in :mod:`hoering.summaries.suggestions`.

**Discover** (:func:`discover`): Ward's agglomerative clustering of the unit vectors
(SciPy's ``linkage``, as scikit-learn's ``AgglomerativeClustering`` runs it; on unit
vectors the Euclidean distance Ward minimises is a monotone function of the cosine). It is deterministic (no random start, no
order dependence once the comments are sorted by id), and one tree gives every number of
clusters: the number is the one with the best silhouette (Rousseeuw, 1987) among
:data:`CLUSTER_RANGE`. KMeans with the silhouette's choice agreed less with the hand labels
on Bowling Green (adjusted Rand 0.22 against 0.26) and depends on its random starts
(docs/SUMMARIES.md).

Each cluster is named by **key phrases**: the 1- to 3-word phrases of its comments
(:func:`phrases`: words by ICU's word segmentation, which also splits Chinese, and never a
phrase that is, starts or ends with a stop word) scored by class-based TF-IDF (the
cluster's comments as one document against the other clusters: Grootendorst, 2022,
"BERTopic", https://arxiv.org/abs/2203.05794, section 3.3), the best of them re-ranked by
their own vector's similarity to the cluster's centroid with maximal marginal relevance
(Carbonell and Goldstein, 1998; as in KeyBERT, https://github.com/MaartenGr/KeyBERT), so
that the phrases say what the cluster means and do not repeat each other.

**Assign** (:func:`assign`): each theme's prototype is the mean of the vector of its name
and description and the vectors of the comments tagged with it (the name counting as one
example); a comment's proposed theme is the most similar prototype, and its confidence the
softmax of the similarities at temperature :data:`TEMPERATURE` (fitted on the hand-labelled
Bowling Green sample, ``bench/themes.py``). Below :data:`MIN_CONFIDENCE` there is no
proposal. :func:`ranked` keeps each comment's closest themes, so that a proposal a
moderator declined gives way to the next best (:mod:`hoering.summaries.suggestions`).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

from hoering.summaries.silhouette import cosine_distances, silhouette  # noqa: F401 - also for callers

#: Numbers of clusters tried by :func:`discover` (the silhouette picks one).
CLUSTER_RANGE = range(4, 13)
#: Most comments clustered by Ward's method itself (see :func:`cluster_labels`).
WARD_LIMIT = 2000
#: Fewest comments worth clustering.
MIN_COMMENTS = 6
#: Key phrases per cluster, candidates re-ranked per cluster, and the weight of relevance
#: against novelty in maximal marginal relevance (KeyBERT's default diversity 0.3 -> 0.7).
KEY_PHRASES = 3
CANDIDATES = 25
MMR_LAMBDA = 0.7
#: Representative comments per cluster (nearest the centroid).
REPRESENTATIVES = 3
#: Softmax temperature of the similarities per embedding method, fitted on the 220
#: hand-labelled Bowling Green comments (bench/themes.py, the log-loss minimum with 5
#: examples per theme; docs/SUMMARIES.md).
TEMPERATURE = {"use-multilingual-v3": 0.04, "char-ngrams-hashed-v1": 0.04}
#: Below this confidence a comment gets no proposed theme (docs/SUMMARIES.md: the share
#: of comments above it and their accuracy on Bowling Green).
MIN_CONFIDENCE = 0.5
#: Stop-word lists (package ``stopwordsiso``) per content language, and the lists every
#: text gets besides its own (comments mix in English words).
STOP_LANGUAGES = {"nb": ("no",), "nn": ("no",), "no": ("no",), "en": (), "de": ("de",), "zh": ("zh",)}
ALWAYS_STOP = ("en",)
#: Words that carry opinion rather than topic in comments ("I would like to see …"),
#: stop words for naming too.
GENERIC_WORDS = frozenset({
    "like", "need", "needs", "needed", "people", "better", "think", "make", "good", "want", "just", "really", "lot",
    "way", "things", "thing", "use", "used", "time", "new", "more", "should", "would", "could", "please",
    "trenger", "bør", "må", "mer", "flere", "gjøre", "bedre", "viktig", "mange", "ønsker", "synes",
    "sollte", "sollten", "müssen", "mehr", "brauchen", "wichtig", "gibt", "geben", "besser",
    "应该", "應該", "需要", "希望", "可以", "认为", "認為", "覺得", "觉得", "問題", "问题",
})


def base_language(language: str) -> str:
    """``"zh-Hant"`` → ``"zh"``, ``"nb"`` → ``"nb"`` (lower case, before the first hyphen)."""
    return (language or "").split("-")[0].split("_")[0].lower()


@functools.cache
def _to_simplified():
    import icu

    return icu.Transliterator.createInstance("Hant-Hans")


def fold(word: str) -> str:
    """A word as the stop-word lists hold it: NFKC, case-folded, Chinese in simplified
    characters (the lists are simplified; Taiwan writes traditional)."""
    word = unicodedata.normalize("NFKC", word).casefold()
    if any("\u3400" <= ch <= "\u9fff" for ch in word):
        word = _to_simplified().transliterate(word)
    return word


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The stop words for texts in ``language`` (a content language code such as ``"nb"``,
    ``"en"``, ``"de"``, ``"zh-Hant"``): the stopwords-iso lists (PyPI ``stopwordsiso``,
    https://github.com/stopwords-iso) of the language and of English, and
    :data:`GENERIC_WORDS`, all folded by :func:`fold`. An unknown language gets English's."""
    import stopwordsiso

    codes = set(ALWAYS_STOP) | set(STOP_LANGUAGES.get(base_language(language), ()))
    return frozenset(fold(word) for word in stopwordsiso.stopwords(codes) | GENERIC_WORDS)


def _is_cjk(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in word)


@functools.cache
def _break_iterator(language: str):
    import icu

    return icu.BreakIterator.createWordInstance(icu.Locale(base_language(language) or "en"))


def words(text: str, language: str) -> list[list[str]]:
    """The words of ``text`` in runs: a run ends at punctuation, so no phrase spans a
    sentence or a comma. Segmented by ICU's word break rules (Unicode UAX #29, with a
    dictionary for Chinese), case-folded; numbers and symbols end a run too.

    Returns:
        ``[[word, …], …]``.
    """
    import icu

    text = unicodedata.normalize("NFKC", text or "")
    iterator = _break_iterator(language)
    iterator.setText(text)
    runs: list[list[str]] = [[]]
    start = 0
    for end in iterator:
        token = text[start:end]
        status = iterator.getRuleStatus()
        start = end
        if token.isspace():
            continue
        letters = icu.UWordBreak.LETTER <= status < icu.UWordBreak.LETTER_LIMIT or (
            icu.UWordBreak.KANA <= status < icu.UWordBreak.IDEO_LIMIT)
        if letters and any(ch.isalpha() for ch in token):
            runs[-1].append(token.casefold())
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def is_stop_word(word: str, stops: frozenset[str]) -> bool:
    """Whether ``word`` (folded by :func:`fold`) is a stop word: in ``stops``, or a Chinese
    word made of stop words only (ICU's dictionary joins "我有", "都應該", which the lists
    hold only as "我", "有", "都", "应该")."""
    if word in stops:
        return True
    if _is_cjk(word) and len(word) > 1:
        return all(ch in stops for ch in word) or any(
            word[:i] in stops and (word[i:] in stops or all(ch in stops for ch in word[i:]))
            for i in range(1, len(word)))
    return False


def phrases(text: str, language: str, longest: int = 3) -> list[str]:
    """The candidate key phrases of ``text``: 1 to ``longest`` consecutive words (within a
    run of :func:`words`) that neither are, start nor end with a stop word
    (:func:`stop_words`), and have at least two letters (a single Latin letter or a lone
    Chinese character says little). Chinese words are joined without spaces."""
    stops = stop_words(language)
    found = []
    for run in words(text, language):
        folded = [fold(word) for word in run]
        for i in range(len(run)):
            if is_stop_word(folded[i], stops):
                continue
            for n in range(1, longest + 1):
                j = i + n - 1
                if j >= len(run):
                    break
                if is_stop_word(folded[j], stops):
                    continue
                parts = run[i:j + 1]
                phrase = "".join(parts) if all(_is_cjk(p) for p in parts) else " ".join(parts)
                if sum(ch.isalpha() for ch in phrase) >= 2:
                    found.append(phrase)
    return found


def _unit(matrix):
    import numpy as np

    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def key_phrases(texts: Sequence[str], labels: Sequence[int], centroids, language: str,
                embed: Callable[[list[str]], object], extra_stop_words: frozenset[str] = frozenset(),
                count: int = KEY_PHRASES) -> list[list[str]]:
    """Key phrases per cluster (see the module's docstring).

    Args:
        texts: the comments' texts.
        labels: each text's cluster, ``0 .. len(centroids) - 1``.
        centroids: array ``(clusters, dimensions)``: each cluster's mean vector.
        language: the content language (segmentation and stop words).
        embed: turns phrases into unit vectors (the embedder of the comment vectors).
        extra_stop_words: more words no phrase may be, start or end with (folded), e.g. the
            words of the consultation's title, which every comment is about.
        count: phrases per cluster.

    Returns:
        ``[[phrase, …]]`` per cluster, best first; fewer (or none) where the cluster has
        fewer distinct phrases.
    """
    import numpy as np

    clusters = len(centroids)
    extra = {fold(word) for word in extra_stop_words}
    counts = [Counter() for _ in range(clusters)]
    spread = [Counter() for _ in range(clusters)]  # comments of the cluster holding a phrase
    for text, label in zip(texts, labels, strict=True):
        found = [p for p in phrases(text, language)
                 if not ({fold(w) for w in (p.split(" ")[0], p.split(" ")[-1])} & extra) and fold(p) not in extra]
        counts[label].update(found)
        spread[label].update(set(found))
    total = Counter()
    for counter in counts:
        total.update(counter)
    average = sum(sum(c.values()) for c in counts) / max(1, clusters)
    result = []
    for label in range(clusters):
        size = sum(counts[label].values()) or 1
        # c-TF-IDF: tf within the cluster, idf over the clusters; phrases of a single comment
        # only count when the cluster's comments share none.
        shared = [p for p in counts[label] if spread[label][p] >= 2] or list(counts[label])
        scored = sorted(((counts[label][p] / size) * math.log(1 + average / total[p]), p) for p in shared)
        scored.sort(key=lambda item: (-item[0], item[1]))
        candidates = [p for _, p in scored[:CANDIDATES]]
        if not candidates:
            result.append([])
            continue
        relevance_tfidf = np.array([s for s, _ in scored[:CANDIDATES]], dtype=np.float32)
        relevance_tfidf /= relevance_tfidf.max() or 1.0
        vectors = _unit(np.asarray(embed(candidates), dtype=np.float32))
        centroid = _unit(np.asarray(centroids[label], dtype=np.float32))
        relevance = 0.5 * relevance_tfidf + 0.5 * (vectors @ centroid)
        chosen: list[int] = []
        while len(chosen) < min(count, len(candidates)):
            best, best_score = None, -np.inf
            for i in range(len(candidates)):
                if i in chosen or any(candidates[i] in candidates[j] or candidates[j] in candidates[i]
                                      for j in chosen):
                    continue
                redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
                score = MMR_LAMBDA * float(relevance[i]) - (1 - MMR_LAMBDA) * redundancy
                if score > best_score:
                    best, best_score = i, score
            if best is None:
                break
            chosen.append(best)
        result.append([candidates[i] for i in chosen])
    return result


def cluster_labels(matrix, clusters: int | None = None) -> list[int]:
    """Cluster labels of the unit rows of ``matrix`` (``(n, dimensions)``, n ≥ 3) by Ward's
    agglomerative clustering; ``clusters`` of them, or as many as give the best silhouette
    (cosine) among :data:`CLUSTER_RANGE` (bounded by n − 1). The tree is built once (SciPy's
    ``linkage``, the algorithm scikit-learn's ``AgglomerativeClustering`` runs) and cut at
    each number. Above :data:`WARD_LIMIT` rows, an evenly spaced sample of that many is
    clustered and every other row joins the nearest centroid (Ward's distance matrix grows
    with the square of n: 10,000 comments would need 400 MB, and the silhouettes as long). Labels are renumbered by
    size, largest first (ties: by the smallest member index)."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    matrix = np.asarray(matrix, dtype=np.float64)
    n = len(matrix)
    sample = np.unique(np.linspace(0, n - 1, WARD_LIMIT).round().astype(int)) if n > WARD_LIMIT else np.arange(n)
    part = matrix[sample]
    tree = linkage(part, method="ward")
    tries = [clusters] if clusters else [k for k in CLUSTER_RANGE if k < len(part)] or [2]
    distances = cosine_distances(part) if len(tries) > 1 else None
    best = None
    for k in tries:
        labels = fcluster(tree, t=k, criterion="maxclust") - 1
        found = len(set(labels.tolist()))
        score = silhouette(distances, labels) if distances is not None and 1 < found < len(part) else 0.0
        if best is None or score > best[0] + 1e-9:
            best = (score, labels)
    labels = best[1]
    if n > WARD_LIMIT:
        centroids = np.stack([part[labels == c].mean(axis=0) for c in range(labels.max() + 1)])
        labels = (matrix @ centroids.T).argmax(axis=1)
    order = sorted(set(labels.tolist()), key=lambda c: (-int((labels == c).sum()), int(np.argmax(labels == c))))
    renumber = {c: i for i, c in enumerate(order)}
    return [renumber[int(c)] for c in labels]


def discover(ids: Sequence[int], matrix, texts: Sequence[str], language: str, embed,
             extra_stop_words: frozenset[str] = frozenset(), clusters: int | None = None,
             ) -> list[tuple[list[str], list[int], list[int]]]:
    """Proposed themes for comments.

    Args:
        ids: comment ids, ascending.
        matrix: their unit vectors, array ``(len(ids), dimensions)``.
        texts: their texts.
        language: the content language.
        embed: the embedder's ``embed`` (for the phrases).
        extra_stop_words: see :func:`key_phrases`.
        clusters: the number of clusters (default: chosen by silhouette).

    Returns:
        ``[(key phrases, member ids, representative ids)]``, largest first; members in id
        order, representatives nearest the centroid first. Empty with fewer than
        :data:`MIN_COMMENTS` comments.
    """
    import numpy as np

    if len(ids) < MIN_COMMENTS:
        return []
    matrix = np.asarray(matrix, dtype=np.float32)
    labels = cluster_labels(matrix, clusters)
    count = max(labels) + 1
    centroids = np.stack([matrix[[i for i, c in enumerate(labels) if c == k]].mean(axis=0) for k in range(count)])
    names = key_phrases(texts, labels, centroids, language, embed, extra_stop_words)
    found = []
    for k in range(count):
        members = [i for i, c in enumerate(labels) if c == k]
        closeness = matrix[members] @ _unit(centroids[k])
        nearest = [members[j] for j in np.argsort(-closeness, kind="stable")[:REPRESENTATIVES]]
        found.append((names[k], [int(ids[i]) for i in members], [int(ids[i]) for i in nearest]))
    return found


def prototypes(theme_vectors, examples: Sequence[object]):
    """Each theme's prototype: its name-and-description vector plus the mean of its tagged
    comments' vectors, to unit length (the name weighs as much as all the examples: on the
    Bowling Green sample counting the name as one example made a single example worse than
    none, docs/SUMMARIES.md).

    Args:
        theme_vectors: array ``(themes, dimensions)``: the vectors of "name. description".
        examples: per theme, an array ``(k, dimensions)`` of tagged comments' vectors (k ≥ 0).

    Returns:
        Array ``(themes, dimensions)`` of unit rows.
    """
    import numpy as np

    rows = []
    for name_vector, tagged in zip(theme_vectors, examples, strict=True):
        tagged = np.asarray(tagged, dtype=np.float32).reshape(-1, len(name_vector))
        rows.append(name_vector + tagged.mean(axis=0) if len(tagged) else name_vector)
    return _unit(np.asarray(rows, dtype=np.float32))


def confidences(matrix, prototype_matrix, temperature: float):
    """``(best theme index per row, its confidence)``: the softmax of the cosine
    similarities of each row to the prototypes at ``temperature``.

    Args:
        matrix: array ``(n, dimensions)`` of unit rows.
        prototype_matrix: array ``(themes, dimensions)`` of unit rows (themes ≥ 1).
        temperature: > 0; smaller is more confident.
    """
    import numpy as np

    similarities = matrix @ prototype_matrix.T / temperature
    similarities -= similarities.max(axis=1, keepdims=True)
    weights = np.exp(similarities)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights.argmax(axis=1), weights.max(axis=1)


def assign(ids: Sequence[int], matrix, theme_ids: Sequence[int], theme_vectors, examples: Sequence[object],
           temperature: float, min_confidence: float = MIN_CONFIDENCE) -> dict[int, tuple[int, float]]:
    """Proposed themes: ``{comment id: (theme id, confidence in [0, 1])}`` for the comments
    whose confidence is at least ``min_confidence`` (see :func:`prototypes` and
    :func:`confidences`); empty without themes or comments."""
    if not len(ids) or not len(theme_ids):
        return {}
    best, confidence = confidences(matrix, prototypes(theme_vectors, examples), temperature)
    return {int(comment_id): (int(theme_ids[b]), round(float(c), 4))
            for comment_id, b, c in zip(ids, best, confidence, strict=True) if c >= min_confidence}


def ranked(ids: Sequence[int], matrix, theme_ids: Sequence[int], theme_vectors, examples: Sequence[object],
           temperature: float, keep: int = 5, floor: float = 0.05) -> dict[int, list[tuple[int, float]]]:
    """The themes each comment is closest to, for proposals that can be declined:
    ``{comment id: [(theme id, confidence in [0, 1]), …]}``, most confident first, at most
    ``keep`` themes per comment and none below ``floor`` (the softmax of :func:`confidences`
    over all themes; a declined theme is left out afterwards and the rest renormalised,
    :func:`hoering.summaries.suggestions.proposed_themes`). Empty without themes or
    comments.

    Args:
        ids: comment ids.
        matrix: their unit vectors, array ``(len(ids), dimensions)``.
        theme_ids: the themes' ids, in the order of ``theme_vectors`` and ``examples``.
        theme_vectors, examples: as for :func:`prototypes`.
        temperature: > 0, as for :func:`confidences`.
    """
    import numpy as np

    if not len(ids) or not len(theme_ids):
        return {}
    prototype_matrix = prototypes(theme_vectors, examples)
    similarities = np.asarray(matrix, dtype=np.float32) @ prototype_matrix.T / temperature
    similarities -= similarities.max(axis=1, keepdims=True)
    weights = np.exp(similarities)
    weights /= weights.sum(axis=1, keepdims=True)
    order = np.argsort(-weights, axis=1, kind="stable")[:, :keep]
    return {int(comment_id): [(int(theme_ids[j]), round(float(weights[row, j]), 4)) for j in order[row]
                              if weights[row, j] >= floor]
            for row, comment_id in enumerate(ids)}


def theme_text(name: str, description: str) -> str:
    """The text embedded for a theme: its name, and its description when it has one."""
    description = re.sub(r"\s+", " ", description or "").strip()
    return f"{name}. {description}" if description else name
