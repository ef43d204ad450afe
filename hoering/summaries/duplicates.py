"""Near-duplicate comments and campaigns: comments that say the same, in the same words
or in others.

Two comments are compared by two measures:

* **by meaning**: the cosine similarity of their sentence vectors
  (:mod:`hoering.embeddings`, the multilingual Universal Sentence Encoder, stored per
  comment by :mod:`hoering.summaries.vectors`);
* **by wording**: the cosine similarity of their character 4-grams (within words, padded at
  word edges) weighted by TF-IDF over the compared texts (sublinear term frequency; 4-grams
  in more than a fifth of 50 or more texts weigh nothing), after normalizing (Unicode NFKC,
  case-folded, everything but letters and digits turned into single spaces). The 4-grams
  are hashed into 2**20 columns (scikit-learn's ``HashingVectorizer``), so no vocabulary
  is kept.

A pair is *close* when the meaning reaches :data:`SEMANTIC_THRESHOLD` or the wording
:data:`TEXTUAL_THRESHOLD`, and both hold the same negation words (:data:`NEGATIONS`:
"should be legalized" and "should not be legalized" are opposites, however alike).
Identical normalized texts are always close. A group is a set of comments **every two of
which are close** (complete linkage, never a first-member "leader" rule), found as
follows:

1. identical normalized texts are merged first, and one of each compared further;
2. candidate pairs are the pairs whose sentence cosine reaches :data:`CANDIDATE_FLOOR`:
   all pairs, by blocks of matrix products, for up to :data:`EXACT_LIMIT` texts; beyond,
   each text's :data:`NEIGHBOURS` nearest neighbours in an approximate index (FAISS
   ``IndexHNSWFlat``, inner product, on the vectors' :data:`INDEX_DIMENSIONS` main axes),
   whose cosines are then measured on the full vectors;
3. the close candidate pairs make a graph; in each of its connected components
   (:data:`MAX_COMPONENT` texts at most: a larger one is split by asking more of its pairs
   until every part fits) every pair is measured and the comments are clustered by
   complete linkage (SciPy), cut where the least close pair of a cluster would no longer
   be close.

With vectors of another method than the sentence model (the ``"lexical"`` fallback), the
vectors only propose candidates and the wording alone decides.

The thresholds were chosen on a labelled set of 237 pairs of the Bowling Green
conversation (``bench/data/bowling_green_pairs.csv``, ``bench/duplicates.py``,
docs/SUMMARIES.md). The grouping is deterministic: the same texts and vectors give the
same groups (the approximate index is built in one thread), and group numbers follow the
lowest comment id in each group.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from hoering import embeddings, isolation
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.extensions import db
from hoering.summaries.vectors import comment_vectors, current_embedder

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

#: Cosine similarity of two comments' sentence vectors (use-multilingual-v3) from which
#: they say the same (bench/duplicates.py: docs/SUMMARIES.md gives the figures).
SEMANTIC_THRESHOLD = 0.75
#: Cosine similarity of two comments' character 4-gram TF-IDF vectors from which they say
#: the same in nearly the same words.
TEXTUAL_THRESHOLD = 0.7
#: Sentence cosine from which a pair is a candidate at all: low enough that restatements
#: the sentence model puts apart (short texts: "A Fairness Ordinance." and "Bowling Green
#: needs a Fairness Ordinance.", 0.44) can still be caught by their wording.
CANDIDATE_FLOOR = 0.4
#: The embedding method whose cosines :data:`SEMANTIC_THRESHOLD` is measured on.
SENTENCE_METHOD = "use-multilingual-v3"
#: Up to this many distinct texts every pair is compared; beyond, an approximate index.
EXACT_LIMIT = 5000
#: Nearest neighbours of each text taken from the approximate index.
NEIGHBOURS = 16
#: Dimensions of the vectors in the approximate index (their main axes).
INDEX_DIMENSIONS = 128
#: Most texts clustered together (complete linkage keeps a matrix of every pair).
MAX_COMPONENT = 1500
#: Columns the character 4-grams are hashed into.
HASHED_FEATURES = 2 ** 20
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


#: Words that turn a statement around; two texts that differ in them are not
#: near-duplicates ("should be legalized" / "should not be legalized").
NEGATIONS = frozenset({"not", "no", "never", "dont", "don", "doesn", "isn", "shouldn", "won", "cannot", "ikke",
                       "aldri", "ingen", "intet", "nei", "nicht", "kein", "keine", "keinen", "nie", "niemals"})


def _negations(text: str) -> frozenset[str]:
    return frozenset(text.split()) & NEGATIONS


def normalize(text: str) -> str:
    """Text as compared: NFKC, case-folded, punctuation and spacing reduced to single spaces."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def textual_vectors(texts: Sequence[str]):
    """The character 4-gram TF-IDF rows of normalized ``texts`` (see the module's docstring).

    Returns:
        A SciPy CSR matrix of shape ``(len(texts), HASHED_FEATURES)``, ``float32``, rows of
        unit length (or zero for a text without 4-grams).
    """
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize as unit_rows

    grams = HashingVectorizer(analyzer="char_wb", ngram_range=(4, 4), n_features=HASHED_FEATURES,
                              alternate_sign=False, norm=None, lowercase=False, dtype=np.float32).transform(texts)
    grams.data = 1 + np.log(grams.data)
    count = len(texts)
    frequency = np.bincount(grams.indices, minlength=HASHED_FEATURES)
    weight = (np.log((1 + count) / (1 + frequency)) + 1).astype(np.float32)
    if count >= 50:
        weight[frequency > 0.2 * count] = 0
    grams.data *= weight[grams.indices]
    return unit_rows(grams, copy=False)


def _pair_dots(rows, first: np.ndarray, second: np.ndarray, chunk: int = 16384) -> np.ndarray:
    """Dot products of the sparse ``rows[first[k]]`` and ``rows[second[k]]``, by chunks."""
    import numpy as np

    out = np.empty(len(first), dtype=np.float32)
    for start in range(0, len(first), chunk):
        a, b = rows[first[start:start + chunk]], rows[second[start:start + chunk]]
        out[start:start + chunk] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return out


def _unit(matrix: np.ndarray, index=slice(None)) -> np.ndarray:
    """``matrix[index]`` as ``float32`` rows of unit length (zero rows stay zero); the
    matrix itself may stay ``float16``, converted a part at a time."""
    import numpy as np

    rows = np.asarray(matrix[index], dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def _candidates(matrix: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of rows of ``matrix`` (unit rows) whose cosine may reach
    ``floor``: every such pair up to :data:`EXACT_LIMIT` rows, else those among each row's
    :data:`NEIGHBOURS` nearest in a FAISS HNSW index. Sorted."""
    import numpy as np

    count = len(matrix)
    found_i, found_j = [], []
    if count <= EXACT_LIMIT:
        matrix = _unit(matrix)
        block = 1024
        for start in range(0, count, block):
            similarity = matrix[start:start + block] @ matrix.T
            i, j = np.nonzero(similarity >= floor)
            keep = j > i + start
            found_i.append(i[keep] + start)
            found_j.append(j[keep])
    else:
        import faiss

        # The index holds the vectors projected on their INDEX_DIMENSIONS main axes (PCA by
        # the eigenvectors of X'X, deterministic): four times less work per distance; the
        # neighbours' cosines are then measured on the full vectors.
        chunk = 16384
        moments = np.zeros((matrix.shape[1], matrix.shape[1]), dtype=np.float64)
        for start in range(0, count, chunk):
            rows = _unit(matrix, slice(start, start + chunk))
            moments += rows.T @ rows
        axes = np.linalg.eigh(moments)[1][:, -INDEX_DIMENSIONS:].astype(np.float32)
        projected = np.empty((count, INDEX_DIMENSIONS), dtype=np.float32)
        for start in range(0, count, chunk):
            projected[start:start + chunk] = _unit(matrix, slice(start, start + chunk)) @ axes
        projected /= np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), 1e-12)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one thread: the graph, so the groups, the same every time
        index = faiss.IndexHNSWFlat(INDEX_DIMENSIONS, 16, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = 2 * NEIGHBOURS
        try:
            index.add(projected)
        finally:
            faiss.omp_set_num_threads(threads)
        _, neighbour = index.search(projected, NEIGHBOURS + 1)  # each query alone: any threads
        del index, projected
        rows = np.repeat(np.arange(count), neighbour.shape[1])
        neighbour = neighbour.ravel()
        similarity = np.full(len(rows), -1.0, dtype=np.float32)
        valid = np.flatnonzero(neighbour >= 0)
        for start in range(0, len(valid), 8192):
            part = valid[start:start + 8192]
            similarity[part] = np.einsum("ij,ij->i", _unit(matrix, rows[part]), _unit(matrix, neighbour[part]))
        keep = (neighbour >= 0) & (neighbour != rows) & (similarity >= floor)
        i, j = np.minimum(rows[keep], neighbour[keep]), np.maximum(rows[keep], neighbour[keep])
        found_i.append(i)
        found_j.append(j)
    if not found_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.unique(np.concatenate(found_i).astype(np.int64) * count + np.concatenate(found_j))
    return pairs // count, pairs % count


def find_groups(texts: list[tuple[int, str]], vectors: tuple[Sequence[int], np.ndarray] | None = None, *,
                method: str = SENTENCE_METHOD, semantic_threshold: float = SEMANTIC_THRESHOLD,
                textual_threshold: float = TEXTUAL_THRESHOLD) -> list[list[int]]:
    """Group near-duplicate texts (see the module's docstring for the rule).

    Args:
        texts: ``[(id, text)]``.
        vectors: ``(ids, matrix)``: sentence vectors of (some of) the texts, unit rows of a
            ``float16`` or ``float32`` array aligned with ``ids``, as
            :func:`hoering.summaries.vectors.comment_vectors` returns them; a text without
            one is grouped only with identical texts. ``None``: the texts are embedded here
            with the ``"auto"`` embedder (tests and benches).
        method: the embedding method of ``vectors``; only for :data:`SENTENCE_METHOD` does
            the meaning decide as well as the wording.
        semantic_threshold: sentence cosine (0–1) from which two texts say the same.
        textual_threshold: 4-gram TF-IDF cosine (0–1) from which two texts say the same.

    Returns:
        Groups of two or more ids, each sorted, ordered by their lowest id.
    """
    raw = dict(texts)
    items = sorted((item_id, normalize(text)) for item_id, text in texts)
    items = [(item_id, text) for item_id, text in items if text]
    if len(items) < 2:
        return []
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    # Identical texts are grouped at once; only one of each is compared with the others.
    first_with_text: dict[str, int] = {}
    for index, (_, text) in enumerate(items):
        if text in first_with_text:
            join(first_with_text[text], index)
        else:
            first_with_text[text] = index
    unique = list(first_with_text.values())
    if vectors is None:
        model = embeddings.embedder("auto")
        method = model.name
        vectors = ([items[i][0] for i in unique], model.embed([raw[items[i][0]] for i in unique]))
    row_of = {int(item_id): row for row, item_id in enumerate(vectors[0])}
    compared = [i for i in unique if items[i][0] in row_of]
    if len(compared) > 1:
        rows = [row_of[items[i][0]] for i in compared]
        # The rows in order already (the usual case): no copy of the matrix.
        same = len(rows) == len(vectors[1]) and rows == list(range(len(rows)))
        for members in _close_sets([items[i][1] for i in compared], vectors[1] if same else vectors[1][rows],
                                   semantic_threshold if method == SENTENCE_METHOD else None, textual_threshold):
            for k in members[1:]:
                join(compared[members[0]], compared[k])
    groups: dict[int, list[int]] = {}
    for index, (item_id, _) in enumerate(items):
        groups.setdefault(find(index), []).append(item_id)
    found = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    return sorted(found, key=lambda ids: ids[0])


def _close_sets(texts: list[str], matrix: np.ndarray, semantic: float | None, textual: float) -> list[list[int]]:
    """Sets of two or more indexes of ``texts`` every two of which are close."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    grams = textual_vectors(texts)
    kinds: dict[frozenset, int] = {}
    negation = np.array([kinds.setdefault(_negations(text), len(kinds)) for text in texts])
    first, second = _candidates(matrix, min(CANDIDATE_FLOOR, semantic or 1.0))
    if not len(first):
        return []
    meaning = np.empty(len(first), dtype=np.float32)
    for start in range(0, len(first), 8192):  # by chunks: two rows of 2 KiB per pair
        part = slice(start, start + 8192)
        meaning[part] = np.einsum("ij,ij->i", _unit(matrix, first[part]), _unit(matrix, second[part]))
    score = _score(meaning, _pair_dots(grams, first, second), semantic, textual)
    score[negation[first] != negation[second]] = 0
    close = score >= 1
    first, second, score = first[close], second[close], score[close]
    found: list[list[int]] = []
    pending = [(np.arange(len(texts)), first, second, score, 1.0)]
    while pending:
        nodes, first, second, score, level = pending.pop()
        # Numbered within this part: a part split again costs its own size, not the whole.
        local = np.searchsorted(nodes, first), np.searchsorted(nodes, second)
        graph = coo_matrix((np.ones(len(first)), local), shape=(len(nodes), len(nodes)))
        _, label = connected_components(graph, directed=False)
        edge_label = label[local[0]]
        order = np.argsort(label, kind="stable")
        for part in np.split(order, np.flatnonzero(np.diff(label[order])) + 1):
            members = nodes[part]
            if len(members) == 2:
                found.append(sorted(members.tolist()))
            elif 2 < len(members) <= MAX_COMPONENT:
                found += _complete_linkage(members, matrix, grams, negation, semantic, textual)
            elif len(members) > MAX_COMPONENT:
                # Too large to hold every pair: ask more of its pairs until it falls apart.
                inside = (edge_label == label[part[0]]) & (score >= level + 0.02)
                pending.append((members, first[inside], second[inside], score[inside], level + 0.02))
    return found


def _score(meaning: np.ndarray, wording: np.ndarray, semantic: float | None, textual: float) -> np.ndarray:
    """How close pairs are, as a multiple of their thresholds: 1 or more is close."""
    import numpy as np

    score = wording / textual
    return score if semantic is None else np.maximum(score, meaning / semantic)


def _complete_linkage(members: np.ndarray, matrix: np.ndarray, grams, negation: np.ndarray,
                      semantic: float | None, textual: float) -> list[list[int]]:
    """Complete-linkage clusters of ``members`` (indexes) cut where a pair stops being close."""
    import numpy as np
    from scipy.cluster.hierarchy import linkage
    from scipy.sparse import csr_matrix
    from scipy.spatial.distance import squareform

    vectors = _unit(matrix, members)
    rows = grams[members]
    # The members' 4-grams in columns of their own: a product over 2**20 columns would
    # spend its time on the empty ones.
    columns, position = np.unique(rows.indices, return_inverse=True)
    compact = csr_matrix((rows.data, position.ravel(), rows.indptr), shape=(len(members), len(columns)))
    score = _score(vectors @ vectors.T, (compact @ compact.T).toarray(), semantic, textual)
    kind = negation[members]
    score[kind[:, None] != kind[None, :]] = 0
    distance = np.maximum(0.0, 2.0 - score.astype(np.float64))
    np.fill_diagonal(distance, 0)
    merges = linkage(squareform(distance, checks=False), method="complete")
    # Cut: the merges at a distance of at most 1 (complete linkage merges in increasing
    # distance, so these only join clusters made below the cut).
    count = len(members)
    cluster = {i: [i] for i in range(count)}
    for step, (a, b, height, _) in enumerate(merges):
        if height > 1.0:
            break
        cluster[count + step] = cluster.pop(int(a)) + cluster.pop(int(b))
    return [sorted(members[c].tolist()) for c in cluster.values() if len(c) > 1]


@dataclass
class DuplicateGroup:
    """Near-duplicate comments of one consultation; ``number`` counts from 1."""

    number: int
    comments: list[Comment]

    @property
    def published(self) -> int:
        return sum(1 for c in self.comments if c.state == CommentState.PUBLISHED.value)


#: States compared: every comment with text (removed ones have none to compare).
COMPARED_STATES = (CommentState.PUBLISHED.value, CommentState.PENDING.value, CommentState.HIDDEN.value,
                   CommentState.REJECTED.value)


def duplicate_groups(consultation: Consultation) -> list[DuplicateGroup]:
    """The consultation's near-duplicate groups (all states but removed), with comments."""
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(
        Comment.consultation_id == consultation.id, Comment.state.in_(COMPARED_STATES)))}
    found = []
    for ids in groups_of(consultation, COMPARED_STATES):
        # A comment posted after the query above may be in groups computed just after it.
        members = [comments[i] for i in ids if i in comments]
        if len(members) > 1:
            found.append(members)
    return [DuplicateGroup(n, members) for n, members in enumerate(found, start=1)]


def group_numbers(consultation: Consultation, states: tuple[str, ...] = COMPARED_STATES) -> dict[int, int]:
    """``{comment id: group number}`` for comments in a near-duplicate group, counting only
    comments in ``states`` (see :func:`groups_of`)."""
    return {comment_id: n for n, ids in enumerate(groups_of(consultation, states), start=1) for comment_id in ids}


def groups_of(consultation: Consultation, states: tuple[str, ...] = COMPARED_STATES) -> list[list[int]]:
    """The consultation's near-duplicate groups among its comments in ``states``.

    The groups are worked out **once per content version** of the consultation (every
    change of a comment's text or state raises it), over every comment with a text
    (:data:`COMPARED_STATES`), in a child process (:mod:`hoering.isolation`: NumPy, SciPy,
    scikit-learn and FAISS never load into the web worker) that reads the texts and the
    stored vectors itself (:func:`hoering.summaries.vectors.comment_vectors`, which embeds
    the comments still without one), and kept in the page cache
    (:func:`hoering.consultations.pagecache.per_version`). Pages, statistics, reports and
    exports of every state then read the same groups, restricted to ``states``: a group
    keeps its members in ``states`` when two or more are (every two of them are still
    close), so a case officer's export never shows a group made of one published comment
    and hidden ones.

    Args:
        consultation: a loaded consultation.
        states: the comment states counted (:class:`~hoering.comments.models.CommentState` values).

    Returns:
        Groups of comment ids as :func:`find_groups` returns them.

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    wanted = set(states)
    consultation_id = consultation.id

    def compute() -> list[list[tuple[int, str]]]:
        found = isolation.run(_find_groups_of, consultation_id)
        # Run in this process (ISOLATION_FORK off), the vectors' commits expired the
        # caller's objects: the consultation is read again for the rest of the request
        # (a streamed export reads it after the view has returned).
        if sa.inspect(consultation).expired_attributes:
            db.session.refresh(consultation)
        return found

    every = per_version(head_of(consultation), "duplicates:2", compute, by_language=False)
    found = [[comment_id for comment_id, state in group if state in wanted] for group in every]
    return [ids for ids in found if len(ids) > 1]


def _find_groups_of(consultation_id: int) -> list[list[tuple[int, str]]]:
    """In the child: read the texts and vectors and group them; each member with its state."""
    rows = db.session.execute(sa.select(Comment.id, Comment.body_text, Comment.state).where(
        Comment.consultation_id == consultation_id, Comment.state.in_(COMPARED_STATES))).all()
    vectors = comment_vectors(consultation_id, COMPARED_STATES)
    state = {comment_id: comment_state for comment_id, _, comment_state in rows}
    groups = find_groups([(comment_id, text) for comment_id, text, _ in rows], vectors,
                         method=current_embedder().name)
    return [[(comment_id, state[comment_id]) for comment_id in group] for group in groups]
