"""Near-duplicate comments and campaigns: comments whose text is the same or nearly so.

The measure: each comment's text is normalized (Unicode NFKC, case-folded, everything but
letters and digits turned into single spaces) and described by its character 4-grams
(within words, padded at word edges), weighted by TF-IDF (scikit-learn's
``TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True)``). Two
comments are near-duplicates when the cosine similarity of these vectors is at least
:data:`SIMILARITY_THRESHOLD` and they hold the same negation words (:data:`NEGATIONS`:
"should be legalized" and "should not be legalized" are opposites, however alike);
identical normalized texts always are. In id order, each comment joins the group whose
first comment it is most similar to, or starts a new group: groups do not chain (A~B and
B~C does not put A and C together unless C is also like A).

0.8 was chosen on Bowling Green (American Assembly's Polis conversation, 896 comments):
at 0.8 the pairs grouped differ by a few words, a typo or punctuation ("We need a health
food store." / "Bowling Green needs a health food store"); between 0.7 and 0.8 such
restatements mix with comments that make a narrower or another point ("Smoking should not
be allowed within 25 feet of a business." / "... in public parks."), which a moderator
would not count as one. Measured there: 23 groups holding 49 comments; 19 of the 289
comments the real moderators rejected (``moderated = -1``) are in a group with an accepted
comment (bench/duplicates.py). The grouping is deterministic: no randomness, and group
numbers follow the lowest comment id in each group.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from hoering import isolation
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.extensions import db

#: Cosine similarity of character 4-gram TF-IDF vectors from which two comments count
#: as near-duplicates.
SIMILARITY_THRESHOLD = 0.8
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


def find_groups(texts: list[tuple[int, str]], threshold: float = SIMILARITY_THRESHOLD) -> list[list[int]]:
    """Group near-duplicate texts.

    Args:
        texts: ``[(id, text)]``.
        threshold: cosine similarity from which two texts are near-duplicates (0–1).

    Returns:
        Groups of two or more ids, each sorted, ordered by their lowest id.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

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
    if len(unique) > 1:
        # 4-grams found in more than a fifth of the texts ("the ", " og ") carry almost no
        # weight under TF-IDF but would make every pair of texts a candidate.
        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True, lowercase=False,
                                  max_df=0.2 if len(unique) >= 50 else 1.0).fit_transform(
            [items[i][1] for i in unique])
        earlier: list[list[tuple[float, int]]] = [[] for _ in unique]
        # Rows are L2-normalized, so the product is the cosine similarity; it is sparse
        # for texts that share few 4-grams. Done in blocks to bound memory.
        block = 2000
        for start in range(0, len(unique), block):
            similarity = (vectors[start:start + block] @ vectors.T).tocoo()
            keep = (similarity.data >= threshold) & (similarity.row + start > similarity.col)
            for i, j, value in zip(similarity.row[keep], similarity.col[keep], similarity.data[keep], strict=True):
                earlier[start + int(i)].append((float(value), int(j)))
        # Each text joins the most similar earlier group *leader* (the group's first text),
        # never a member: near-duplicates do not chain A~B~C into texts that differ.
        negations = [_negations(items[i][1]) for i in unique]
        leader = list(range(len(unique)))
        for i in range(len(unique)):
            candidates = sorted((-value, j) for value, j in earlier[i]
                                if leader[j] == j and negations[j] == negations[i])
            if candidates:
                leader[i] = candidates[0][1]
                join(unique[leader[i]], unique[i])
    groups: dict[int, list[int]] = {}
    for index, (item_id, _) in enumerate(items):
        groups.setdefault(find(index), []).append(item_id)
    found = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    return sorted(found, key=lambda ids: ids[0])


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
    """``{comment id: group number}`` for comments in a near-duplicate group, comparing
    only comments in ``states``."""
    return {comment_id: n for n, ids in enumerate(groups_of(consultation, states), start=1) for comment_id in ids}


def groups_of(consultation: Consultation, states: tuple[str, ...] = COMPARED_STATES) -> list[list[int]]:
    """:func:`find_groups` of the consultation's comments in ``states``: worked out in a
    child process (:mod:`hoering.isolation`: scikit-learn and SciPy, about 100 MiB, never
    load into the web worker), which reads the texts itself, once per content version of
    the consultation (every change of a comment raises it) and then taken from the cache
    (:func:`hoering.consultations.pagecache.per_version`).

    Args:
        consultation: a loaded consultation.
        states: the comment states compared (:class:`~hoering.comments.models.CommentState` values).

    Returns:
        Groups of comment ids as :func:`find_groups` returns them.

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    states = tuple(sorted(states))
    return per_version(head_of(consultation), f"duplicates:{','.join(states)}",
                       lambda: isolation.run(_find_groups_of, consultation.id, states), by_language=False)


def _find_groups_of(consultation_id: int, states: tuple[str, ...]) -> list[list[int]]:
    """In the child: read the texts and group them."""
    rows = db.session.execute(sa.select(Comment.id, Comment.body_text).where(
        Comment.consultation_id == consultation_id, Comment.state.in_(states))).all()
    return find_groups([(comment_id, text) for comment_id, text in rows])
